import type { Redis } from 'ioredis';
import type { ShortLivedStores } from '../ports.js';
import { openRedis, type RedisConnectionOptions } from './connection.js';
import { redisCounterStore } from './counters.js';
import { redisOidcArtifactStore } from './oidc-artifacts.js';
import { redisOneTimeStore } from './one-time.js';

export interface RedisStoreOptions extends Omit<RedisConnectionOptions, 'url'> {
  url: string;
  /** Every key lives under this prefix (e.g. 'latchkey:'), so instances can share one Redis. */
  keyPrefix: string;
}

export interface RedisStores extends ShortLivedStores {
  client: Redis;
}

/** The short-lived ports (provider artifacts, counters, single-use secrets) on one Redis connection. */
export function createRedisStores(options: RedisStoreOptions): RedisStores {
  const redis = openRedis(options);
  return {
    oidc: redisOidcArtifactStore(redis, options.keyPrefix),
    counters: redisCounterStore(redis, options.keyPrefix),
    oneTime: redisOneTimeStore(redis, options.keyPrefix),
    health: () => redis.health(),
    close: () => redis.close(),
    client: redis.client,
  };
}
