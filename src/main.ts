import { createServer } from 'node:http';
import { buildApp } from './app.js';
import { join, resolve } from 'node:path';
import { loadEnvFile } from './config/env-file.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { buildContainer, type Container } from './container.js';
import { argon2BinaryFile, keptArgon2Blocks } from './accounts/argon2-patch.js';
import { patchedProviderFile, providerPatched } from './oidc/provider-patch.js';

function fail(reason: string): never {
  console.error(`Latchkey cannot start: ${reason}`);
  process.exit(1);
}

async function boot(): Promise<{ config: Config; container: Container; envFile?: string }> {
  let config: Config;
  let envFile: string | undefined;
  try {
    envFile = loadEnvFile();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  try {
    return { config, container: await buildContainer(config), envFile };
  } catch (error) {
    // Fail closed at boot too: without its stores Latchkey must not serve; the orchestrator retries.
    const cause = (error as Error).cause as Error | undefined;
    fail(`${(error as Error).message}${cause?.message ? ` (${cause.message})` : ''}`);
  }
}

const { config, container, envFile } = await boot();
const server = createServer(buildApp(container).callback());

/** Where things live and, on a store with no client yet, how to get started: a newcomer's first questions. */
async function logStartup(): Promise<void> {
  const { logger } = container;
  const embedded = !(config.mongodbUri && config.redis);
  logger.info(
    {
      envFile,
      sqlite: embedded ? resolve(join(config.dataDir, 'latchkey.sqlite')) : undefined,
      mongodb: config.mongodbUri ? 'MONGODB_URI' : undefined,
      redis: config.redisClusterNodes ? 'REDIS_CLUSTER_NODES' : config.redisUrl ? 'REDIS_URL' : undefined,
      secret: config.secret ? 'LATCHKEY_SECRET' : resolve(join(config.dataDir, 'secret.key')),
    },
    'storage (back up the SQLite file and the secret together)',
  );
  const providerFile = patchedProviderFile();
  if (!providerPatched(providerFile)) {
    logger.warn(
      { file: providerFile },
      'node-oidc-provider is installed without patches/ (npm install --ignore-scripts?): it works, but every request is kept until a full GC. Run `npx patch-package` in the install directory',
    );
  }
  if (process.platform === 'linux' && keptArgon2Blocks() === undefined) {
    logger.warn(
      { file: argon2BinaryFile() },
      'argon2 runs without patches/ (npm install --ignore-scripts, or no compiler on install?): passwords work the same, but each process may keep ~20 MB more memory. Run `npm run build:argon2` in the install directory',
    );
  }
  if ((await container.clients.list()).length === 0) {
    logger.info(
      'no client is registered yet. Create a user and a client with:\n' +
        '  npm run cli -- users create --email you@example.com --name "Your Name" --verified   (asks for the password)\n' +
        `  npm run cli -- clients create --name "My app" --redirect-uri ${config.issuer.startsWith('https:') ? 'https' : 'http'}://localhost:8080/callback`,
    );
  }
}

server.listen(config.port, config.host, () => {
  container.logger.info({ issuer: config.issuer, port: config.port }, 'Latchkey is listening');
  logStartup().catch((error: unknown) => container.logger.warn({ err: error }, 'could not inspect the store at start-up'));
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
