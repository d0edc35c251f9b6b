/**
 * The storage backends the contract suite runs against. SQLite always; Redis (short-lived
 * ports) when a server answers, and a three-master Redis Cluster started by the test when
 * redis-server is installed; MongoDB (long-lived ports) when MONGODB_URI is set. A
 * backend that cannot run is not registered at all, and one warning line says why.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Stores } from '../../src/store/ports.js';
import { createMongoIndexes, createMongoStores } from '../../src/store/mongo/index.js';
import { createRedisStores, deleteKeysWithPrefix, type RedisStores } from '../../src/store/redis/index.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { haveRedisCluster, startRedisCluster, type RedisClusterUnderTest } from '../support/redis-cluster.js';

export type ShortLived = Pick<Stores, 'oidc' | 'counters' | 'oneTime'>;
export type LongLived = Pick<
  Stores,
  'accounts' | 'clients' | 'consents' | 'secrets' | 'factors' | 'recoveryCodes' | 'subscriptions' | 'backupMethods' | 'audit'
>;

export interface Backend<T> {
  name: string;
  /** Fresh, empty stores for one test file. */
  open(): Promise<T>;
  /** Removes whatever the test file stored and closes the connection. */
  dispose(): Promise<void>;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

function sqlite<T>(): Backend<T> {
  let stores: ReturnType<typeof createSqliteStores> | undefined;
  return {
    name: 'sqlite',
    async open() {
      stores = createSqliteStores(':memory:');
      return stores as unknown as T;
    },
    async dispose() {
      await stores?.close();
    },
  };
}

function redis(url: string): Backend<ShortLived> {
  // One prefix per test file: files run in parallel workers against the same server.
  const keyPrefix = `latchkey-test:${randomUUID()}:`;
  let stores: RedisStores | undefined;
  return {
    name: 'redis',
    async open() {
      stores = createRedisStores({ url, keyPrefix });
      return stores;
    },
    async dispose() {
      if (!stores) return;
      await deleteKeysWithPrefix(stores.connection, keyPrefix);
      await stores.close();
    },
  };
}

/**
 * A Redis Cluster of three masters started for the test file (test/support/redis-cluster.ts):
 * the same contract must hold when a file's keys are spread over several masters.
 */
function redisCluster(): Backend<ShortLived> {
  let cluster: RedisClusterUnderTest | undefined;
  let stores: RedisStores | undefined;
  return {
    name: 'redis-cluster',
    async open() {
      cluster = await startRedisCluster();
      stores = createRedisStores({ clusterNodes: cluster.nodes, keyPrefix: 'latchkey-test:' });
      return stores;
    },
    async dispose() {
      await stores?.close();
      await cluster?.stop();
    },
  };
}

function mongo(uri: string): Backend<LongLived> {
  const dbName = `latchkey_test_${randomBytes(6).toString('hex')}`;
  let stores: ReturnType<typeof createMongoStores> | undefined;
  return {
    name: 'mongo',
    async open() {
      stores = createMongoStores(uri, { dbName });
      // Indexes are an ops step (`latchkey db indexes`), not created at runtime: do it here.
      await createMongoIndexes(stores.connection);
      return stores;
    },
    async dispose() {
      if (!stores) return;
      // Only a database that was reached can be dropped; the tests already failed otherwise.
      if (stores.connection.readyState === 1) await stores.connection.dropDatabase();
      await stores.close();
    },
  };
}

/** Why the Redis at `url` cannot be used, or null when it answers PING. */
export async function redisUnreachable(url: string): Promise<string | null> {
  const probe = createRedisStores({ url, keyPrefix: 'latchkey-test:probe:' });
  try {
    const [health] = await probe.health();
    return health?.ok ? null : (health?.error ?? 'no answer');
  } finally {
    await probe.close();
  }
}

/**
 * Redis runs when it answers at REDIS_URL or the default local address. An explicit
 * REDIS_URL that does not answer is not skipped: the suite fails, because CI asked for it.
 */
export async function shortLivedBackends(): Promise<Backend<ShortLived>[]> {
  const backends = [sqlite<ShortLived>()];
  const url = process.env.REDIS_URL;
  if (url) {
    backends.push(redis(url));
  } else {
    const why = await redisUnreachable(DEFAULT_REDIS_URL);
    if (why === null) backends.push(redis(DEFAULT_REDIS_URL));
    else console.warn(`[contract] redis backend NOT run: nothing answers at ${DEFAULT_REDIS_URL} (${why}); set REDIS_URL to require it`);
  }
  if (haveRedisCluster) backends.push(redisCluster());
  else if (process.env.CI) throw new Error('redis-server and redis-cli are required for the redis-cluster contract backend in CI');
  else console.warn('[contract] redis-cluster backend NOT run: no redis-server / redis-cli on PATH');
  return backends;
}

export async function longLivedBackends(): Promise<Backend<LongLived>[]> {
  const backends = [sqlite<LongLived>()];
  const uri = process.env.MONGODB_URI;
  if (uri) backends.push(mongo(uri));
  else console.warn('[contract] mongo backend NOT run: MONGODB_URI is not set');
  return backends;
}

/**
 * Registers `define` once per backend inside describe(backend.name), with the stores opened
 * before and disposed after that block. `stores()` is only valid inside tests and hooks.
 */
export function describeBackends<T>(backends: Backend<T>[], define: (stores: () => T) => void): void {
  for (const backend of backends) {
    describe(backend.name, () => {
      let current: T | undefined;
      beforeAll(async () => {
        current = await backend.open();
      });
      afterAll(async () => {
        await backend.dispose();
      });
      define(() => {
        if (current === undefined) throw new Error(`${backend.name} stores are not open`);
        return current;
      });
    });
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
