import { createServer } from 'node:http';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import { buildContainer } from './container.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const container = await buildContainer(config);
const app = buildApp(container);
const server = createServer(app.callback());

server.listen(config.port, config.host, () => {
  container.logger.info({ issuer: config.issuer, port: config.port }, 'Latchkey is listening');
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  container.logger.info({ signal }, 'shutting down');
  server.close();
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), 10_000);
  force.unref();
  await new Promise((resolve) => server.once('close', resolve));
  await container.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
