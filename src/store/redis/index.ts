import type { ShortLivedStores } from '../ports.js';
import { openRedis, type RedisClient, type RedisConnection, type RedisConnectionOptions } from './connection.js';
import { redisCounterStore } from './counters.js';
import { redisOidcArtifactStore } from './oidc-artifacts.js';
import { redisOneTimeStore } from './one-time.js';

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Every key lives under this prefix (e.g. 'latchkey:'), so instances can share one Redis or cluster. */
  keyPrefix: string;
}

export interface RedisStores extends ShortLivedStores {
  /** The client in use now (one node, or the cluster). */
  readonly client: RedisClient;
  connection: RedisConnection;
}

/** The short-lived ports (provider artifacts, counters, single-use secrets) on one Redis connection or cluster. */
export function createRedisStores(options: RedisStoreOptions): RedisStores {
  const redis = openRedis(options);
  return {
    oidc: redisOidcArtifactStore(redis, options.keyPrefix),
    counters: redisCounterStore(redis, options.keyPrefix),
    oneTime: redisOneTimeStore(redis, options.keyPrefix),
    health: () => redis.health(),
    close: () => redis.close(),
    get client() {
      return redis.client;
    },
    connection: redis,
  };
}

/**
 * Deletes every key under `prefix`, master by master (SCAN sees only the node it runs on;
 * one key per DEL, since keys of different slots cannot share a command on a cluster).
 * For tests and the benchmark, never for requests.
 */
export async function deleteKeysWithPrefix(connection: RedisConnection, prefix: string): Promise<number> {
  let deleted = 0;
  for (const node of connection.masters()) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) {
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        await pipeline.exec();
        deleted += keys.length;
      }
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}
