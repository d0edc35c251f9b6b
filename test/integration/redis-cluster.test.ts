/**
 * Latchkey on a real Redis Cluster: three masters on loopback started by the test
 * (test/support/redis-cluster.ts). Single use under parallel redemptions runs on the cluster
 * in single-use.test.ts (its "a Redis Cluster" row); here: the whole relying-party journey,
 * exact counters, REDIS_URL naming one node, and a master lost mid-run.
 */
import { Cluster } from 'ioredis';
import request from 'supertest';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { runFullFlow } from '../support/full-flow.js';
import { redisBackedStores, sharedSqlite, type RedisBackedStores } from '../support/redis.js';
import { haveRedisCluster, startRedisCluster, type RedisClusterUnderTest } from '../support/redis-cluster.js';
import { authorizationRequest, discover, REDIRECT_URI, registerWebClient, signInThroughBrowser } from '../support/rp.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { loadConfig } from '../../src/config/load.js';

if (!haveRedisCluster) {
  if (process.env.CI) throw new Error('redis-server and redis-cli are required for the Redis Cluster tests in CI');
  console.warn('[redis cluster] NOT run: no redis-server / redis-cli on PATH');
}

const PARALLEL = 50;
const UNAVAILABLE = 'cannot reach its storage';

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

if (haveRedisCluster) describe('on a Redis Cluster of three masters', () => {
  let cluster: RedisClusterUnderTest;
  const longLived = sharedSqlite();
  let redis: RedisBackedStores;
  let app: TestApp;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    // As the configuration hands them over: REDIS_CLUSTER_NODES parsed by the config schema.
    const config = loadConfig({
      REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
      LATCHKEY_SECRET: 'x'.repeat(32),
    });
    expect(config.redis).toBe(true);
    redis = redisBackedStores({ clusterNodes: config.redisClusterNodes }, longLived);
    app = await startTestApp({ stores: redis.stores, keepStores: true });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.close();
    await longLived.close();
    await cluster?.stop();
  });

  test('the full openid-client flow, with its artifacts in the cluster', async () => {
    await runFullFlow(app);
    const keysPerMaster = await Promise.all(redis.redis.connection.masters().map((node) => node.keys(`${redis.keyPrefix}*`)));
    expect(keysPerMaster).toHaveLength(3);
    expect(keysPerMaster.flat().some((key) => key.includes(':oidc:Grant:'))).toBe(true);
  });

  test(`${PARALLEL} parallel counter hits and reservations count exactly`, async () => {
    const { counters } = app.container.stores;
    const now = Date.now();
    const hits = await Promise.all(Array.from({ length: PARALLEL }, () => counters.hit('cluster-hits', now, 60_000)));
    expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(Array.from({ length: PARALLEL }, (_, i) => i + 1));
    expect(await counters.peek('cluster-hits', now)).toBe(PARALLEL);

    // Ten free, then a wait: exactly ten of fifty reservations at one instant go through.
    const limit = { free: 10, waitsMs: [60_000], ttlMs: 60_000 };
    const reserved = await Promise.all(Array.from({ length: PARALLEL }, () => counters.reserve('cluster-reserve', now, limit)));
    expect(reserved.filter((r) => r.ok)).toHaveLength(10);
    expect(await counters.peek('cluster-reserve', now)).toBe(10);

    // Counters of many names land on every master and each stays exact. (60 random slots all
    // missing one of three masters: odds of about 1 in 10^10.)
    const names = Array.from({ length: 60 }, (_, i) => `cluster-spread-${i}`);
    await Promise.all(names.flatMap((name) => [counters.hit(name, now, 60_000), counters.hit(name, now, 60_000)]));
    expect(await Promise.all(names.map((name) => counters.peek(name, now)))).toEqual(names.map(() => 2));
    const perMaster = await Promise.all(redis.redis.connection.masters().map((node) => node.keys(`${redis.keyPrefix}counter:cluster-spread-*`)));
    expect(perMaster.map((keys) => keys.length > 0)).toEqual([true, true, true]);
  });

  test('REDIS_URL naming one node of the cluster is recognised and used as the cluster', async () => {
    const stores = createRedisStores({ url: cluster.url, keyPrefix: `latchkey-url-${Date.now()}:` });
    try {
      const client = await eventually(
        async () => stores.client,
        (c) => c instanceof Cluster && c.status === 'ready',
      );
      expect(client).toBeInstanceOf(Cluster);
      const now = Date.now();
      const names = Array.from({ length: 30 }, (_, i) => `url-${i}`);
      const counts = await Promise.all(names.map((name) => stores.counters.hit(name, now, 60_000)));
      expect(counts.map((c) => c.count)).toEqual(names.map(() => 1));
      expect(await stores.health()).toEqual([{ name: 'redis', ok: true }]);
    } finally {
      await stores.close();
    }
  });

  test('a master killed mid-run: 503 and no sign-in completes; after it is back, service resumes without a restart', async () => {
    const account = await createUser(app, 'outage@example.com');
    const client = await registerWebClient(app);
    const service = await app.container.clients.create({ name: 'Service', redirectUris: [], grantTypes: ['client_credentials'] });
    const config = await discover(app, client);
    const clientCredentials = () =>
      request(app.url).post('/token').auth(service.client_id, service.client_secret as string).type('form').send({ grant_type: 'client_credentials' });
    expect((await clientCredentials()).status).toBe(200);

    const browser = new Browser(app.url);
    const login = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
    const loginAction = formAction(login.text, '/login');
    const csrf = inputValue(login.text, '_csrf')!;

    await cluster.kill(1);
    // Without replicas the lost master's slots stay unserved: the cluster declares itself down.
    await cluster.waitForState('fail');

    const post = await browser.post(loginAction, { _csrf: csrf, email: account.email, password: TEST_PASSWORD });
    expect(post.status).toBe(503);
    expect(post.location).toBeUndefined();
    expect(post.text).toContain(UNAVAILABLE);
    const token = await clientCredentials();
    expect(token.status).toBe(503);
    expect(token.body).not.toHaveProperty('access_token');
    const ready = await request(app.url).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.backends).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'redis', ok: false })]));

    await cluster.restart(1);
    await cluster.waitForState('ok');
    const readyAgain = await eventually(
      async () => (await request(app.url).get('/readyz')).status,
      (status) => status === 200,
    );
    expect(readyAgain).toBe(200);

    // The same app instance serves again: a fresh sign-in and client credentials.
    const attempt = await authorizationRequest(config, 'openid');
    const callback = await signInThroughBrowser(new Browser(app.url), attempt.url, account.email);
    expect(callback.href.startsWith(`${REDIRECT_URI}?code=`)).toBe(true);
    expect((await clientCredentials()).status).toBe(200);
  });
});
