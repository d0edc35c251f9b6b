import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { DEFAULT_REDIS_URL, redisUnreachable } from '../contract/backends.js';
import { composeStores } from '../../src/store/compose.js';
import type { Stores } from '../../src/store/ports.js';
import { createRedisStores, deleteKeysWithPrefix, type RedisStoreOptions, type RedisStores } from '../../src/store/redis/index.js';
import { createSqliteStores, type SqliteStores } from '../../src/store/sqlite/index.js';

/** The Redis to test against, or null (with a warning) when none answers and none was required. */
export async function redisUrlForTests(suite: string): Promise<string | null> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const why = await redisUnreachable(DEFAULT_REDIS_URL);
  if (why === null) return DEFAULT_REDIS_URL;
  console.warn(`[${suite}] NOT run: nothing answers at ${DEFAULT_REDIS_URL} (${why}); set REDIS_URL to require it`);
  return null;
}

export interface RedisBackedStores {
  stores: Stores;
  redis: RedisStores;
  keyPrefix: string;
  close(): Promise<void>;
}

/**
 * Provider artifacts and counters in Redis under a fresh prefix; long-lived records in
 * `longLived`. `target` is a URL, or connection options (a cluster's nodes).
 */
export function redisBackedStores(
  target: string | Omit<RedisStoreOptions, 'keyPrefix'>,
  longLived: SqliteStores,
  keyPrefix = `latchkey-it:${randomUUID()}:`,
): RedisBackedStores {
  const redis = createRedisStores({ ...(typeof target === 'string' ? { url: target } : target), keyPrefix });
  return {
    stores: composeStores(longLived, redis),
    redis,
    keyPrefix,
    async close() {
      if (redis.client.status === 'ready') await deleteKeysWithPrefix(redis.connection, keyPrefix).catch(() => undefined);
      await redis.close();
    },
  };
}

export function sharedSqlite(): SqliteStores {
  return createSqliteStores(':memory:');
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throwaway redis-server on `port` (no persistence), for outage tests. */
export async function startRedisServer(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await redisUnreachable(url)) === null) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

export async function stopRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
