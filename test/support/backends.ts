import type { Logger } from 'pino';
import type { Stores } from '../../src/store/ports.js';
import { startTestApp, type TestApp } from './app.js';
import { redisBackedStores, redisUrlForTests, sharedSqlite } from './redis.js';
import { haveRedisCluster, startRedisCluster } from './redis-cluster.js';

type Instances<N extends number> = N extends 1 ? [TestApp] : N extends 2 ? [TestApp, TestApp] : TestApp[];

export interface AppBackend<N extends number> {
  name: string;
  /** `instances` app instances on one store (on SQLite: the same in-memory database). */
  start(): Promise<{ apps: Instances<N>; close(): Promise<void> }>;
}

/**
 * The rows for describe.each: the app on the embedded SQLite store, on Redis (provider
 * artifacts and counters under a fresh prefix, long-lived records in SQLite) when one answers,
 * and on a three-master Redis Cluster started for the file when redis-server is installed.
 * SQLite hides races behind its synchronous driver; Redis does not: both must hold.
 */
export async function appBackends<N extends number>(suite: string, options: { instances: N; logger?: Logger }): Promise<AppBackend<N>[]> {
  const { instances, logger } = options;
  const startAll = async (stores: Stores) => {
    const apps: TestApp[] = [];
    for (let i = 0; i < instances; i++) apps.push(await startTestApp({ stores, keepStores: true, logger }));
    return apps as Instances<N>;
  };
  const backends: AppBackend<N>[] = [
    {
      name: 'the embedded SQLite store',
      async start() {
        const shared = sharedSqlite();
        const apps = await startAll(shared);
        return {
          apps,
          async close() {
            await Promise.all(apps.map((a) => a.close()));
            await shared.close();
          },
        };
      },
    },
  ];
  const redisUrl = await redisUrlForTests(suite);
  if (redisUrl) {
    backends.push({
      name: 'Redis',
      async start() {
        const longLived = sharedSqlite();
        const redis = redisBackedStores(redisUrl, longLived);
        const apps = await startAll(redis.stores);
        return {
          apps,
          async close() {
            await Promise.all(apps.map((a) => a.close()));
            await redis.close();
            await longLived.close();
          },
        };
      },
    });
  }
  if (haveRedisCluster) {
    backends.push({
      name: 'a Redis Cluster',
      async start() {
        const cluster = await startRedisCluster();
        const longLived = sharedSqlite();
        const redis = redisBackedStores({ clusterNodes: cluster.nodes }, longLived);
        try {
          const apps = await startAll(redis.stores);
          return {
            apps,
            async close() {
              await Promise.all(apps.map((a) => a.close()));
              await redis.close();
              await longLived.close();
              await cluster.stop();
            },
          };
        } catch (error) {
          await redis.close();
          await cluster.stop();
          throw error;
        }
      },
    });
  } else {
    console.warn(`[${suite}] Redis Cluster row NOT run: no redis-server / redis-cli on PATH`);
  }
  return backends;
}
