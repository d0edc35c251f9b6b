import { spawnSync } from 'node:child_process';
import request from 'supertest';
import type { ChildProcess } from 'node:child_process';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { freePort, redisBackedStores, sharedSqlite, startRedisServer, stopRedisServer, type RedisBackedStores } from '../support/redis.js';
import { authorizationRequest, discover, REDIRECT_URI, registerWebClient, signInThroughBrowser } from '../support/rp.js';
import { clientCredentials } from '../support/token-endpoint.js';

const haveRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!haveRedisServer) {
  if (process.env.CI) throw new Error('redis-server is required for the outage test in CI');
  console.warn('[outage] NOT run: no redis-server binary on PATH');
}

const UNAVAILABLE = 'cannot reach its storage';

async function waitUntilReady(app: TestApp): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const res = await request(app.url).get('/readyz');
    if (res.status === 200) return res.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return (await request(app.url).get('/readyz')).status;
}

if (haveRedisServer) describe('Redis outage: fail closed, recover by itself', () => {
  let port: number;
  let server: ChildProcess;
  const longLived = sharedSqlite();
  let redis: RedisBackedStores;
  let app: TestApp;

  beforeAll(async () => {
    port = await freePort();
    server = await startRedisServer(port);
    redis = redisBackedStores(`redis://127.0.0.1:${port}`, longLived);
    app = await startTestApp({ stores: redis.stores, keepStores: true });
  });
  afterAll(async () => {
    await app.close();
    await redis.close();
    await longLived.close();
    await stopRedisServer(server);
  });

  test('503 while Redis is down, no login completes, and service resumes without a restart', async () => {
    const account = await createUser(app);
    const client = await registerWebClient(app);
    const service = await app.container.clients.create({ name: 'Service', redirectUris: [], grantTypes: ['client_credentials'] });
    const config = await discover(app, client);

    const browser = new Browser(app.url);
    const login = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
    expect(login.text).toContain('id="password"');
    const loginAction = formAction(login.text, '/login');
    const csrf = inputValue(login.text, '_csrf')!;

    await stopRedisServer(server);

    const post = await browser.post(loginAction, { _csrf: csrf, email: account.email, password: TEST_PASSWORD });
    expect(post.status).toBe(503);
    expect(post.location).toBeUndefined();
    expect(post.text).toContain(UNAVAILABLE);
    expect(post.headers['retry-after']).toBe('5');

    expect((await browser.get(new URL(login.url).pathname)).status).toBe(503);

    const authorize = await browser.get((await authorizationRequest(config, 'openid')).url.href);
    expect(authorize.status).toBe(503);
    expect(authorize.text).toContain(UNAVAILABLE);

    const token = await clientCredentials(app, service);
    expect(token.status).toBe(503);
    expect(token.body.error).toBe('server_error');
    expect(token.body).not.toHaveProperty('access_token');

    const ready = await request(app.url).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.backends).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'redis', ok: false })]));
    expect((await request(app.url).get('/healthz')).status).toBe(200);

    // Redis comes back empty (no persistence): the interrupted login cannot be completed.
    server = await startRedisServer(port);
    expect(await waitUntilReady(app)).toBe(200);
    const resumed = await browser.post(loginAction, { _csrf: csrf, email: account.email, password: TEST_PASSWORD });
    expect(resumed.status).toBe(400);
    expect(resumed.text).toContain('This sign-in request has expired');

    // A new sign-in works again, on the same app instance.
    const attempt = await authorizationRequest(config, 'openid');
    const callback = await signInThroughBrowser(new Browser(app.url), attempt.url, account.email);
    expect(callback.href.startsWith(`${REDIRECT_URI}?code=`)).toBe(true);
    const granted = await clientCredentials(app, service);
    expect(granted.status).toBe(200);
  });
});

describe('MongoDB outage: account lookups fail closed', () => {
  test('the login POST answers 503 and does not sign in when the account store is unreachable', async () => {
    const { createMongoStores } = await import('../../src/store/mongo/index.js');
    const deadMongo = createMongoStores('mongodb://127.0.0.1:1/latchkey', { serverSelectionTimeoutMS: 300 });
    const sqlite = sharedSqlite();
    // Keys and clients stay readable so that the app can boot; only accounts are on the dead MongoDB.
    const app = await startTestApp({ stores: { ...sqlite, accounts: deadMongo.accounts }, keepStores: true });
    try {
      const client = await registerWebClient(app);
      const config = await discover(app, client);
      const browser = new Browser(app.url);
      const login = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
      const post = await browser.post(formAction(login.text, '/login'), {
        _csrf: inputValue(login.text, '_csrf')!,
        email: 'ada@example.com',
        password: TEST_PASSWORD,
      });
      expect(post.status).toBe(503);
      expect(post.location).toBeUndefined();
      expect(post.text).toContain(UNAVAILABLE);
    } finally {
      await app.close();
      await sqlite.close();
      await deadMongo.close();
    }
  });
});
