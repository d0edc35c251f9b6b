import { createServer } from 'node:http';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { buildContainer, type Container } from './container.js';

function fail(reason: string): never {
  console.error(`Latchkey cannot start: ${reason}`);
  process.exit(1);
}

async function boot(): Promise<{ config: Config; container: Container }> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  try {
    return { config, container: await buildContainer(config) };
  } catch (error) {
    // Fail closed at boot too: without its stores Latchkey must not serve; the orchestrator retries.
    const cause = (error as Error).cause as Error | undefined;
    fail(`${(error as Error).message}${cause?.message ? ` (${cause.message})` : ''}`);
  }
}

const { config, container } = await boot();
const server = createServer(buildApp(container).callback());

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
