import { startTestApp, createUser, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { runFullFlow } from '../support/full-flow.js';
import { LoadBalancer } from '../support/load-balancer.js';
import { redisBackedStores, redisUrlForTests, sharedSqlite, type RedisBackedStores } from '../support/redis.js';
import { authorizationRequest, discover, exchangeCode, REDIRECT_URI, registerWebClient } from '../support/rp.js';

const redisUrl = await redisUrlForTests('redis integration');

if (redisUrl) {
  describe('with Redis holding sessions, interactions, codes, tokens and counters', () => {
    test('the full openid-client flow', async () => {
      const longLived = sharedSqlite();
      const redis = redisBackedStores(redisUrl, longLived);
      const app = await startTestApp({ stores: redis.stores, keepStores: true });
      try {
        await runFullFlow(app);
        // The artifacts really are in Redis, not in the SQLite file.
        const keys = await redis.redis.client.keys(`${redis.keyPrefix}*`);
        expect(keys.some((key) => key.includes('Grant'))).toBe(true);
        for (const table of ['oidc_artifacts', 'counters']) {
          const { n } = longLived.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };
          expect(n).toBe(0);
        }
      } finally {
        await app.close();
        await redis.close();
        await longLived.close();
      }
    });

    describe('two instances behind a load balancer', () => {
      const lb = new LoadBalancer();
      const longLived = sharedSqlite();
      let a: TestApp;
      let b: TestApp;
      let redisA: RedisBackedStores;
      let redisB: RedisBackedStores;

      beforeAll(async () => {
        const issuer = await lb.listen();
        const prefix = `latchkey-it:${Date.now()}-${Math.random()}:`;
        redisA = redisBackedStores(redisUrl, longLived, prefix);
        redisB = redisBackedStores(redisUrl, longLived, prefix);
        a = await startTestApp({ stores: redisA.stores, keepStores: true, env: { ISSUER: issuer } });
        b = await startTestApp({ stores: redisB.stores, keepStores: true, env: { ISSUER: issuer } });
        lb.backends.A = a.url;
        lb.backends.B = b.url;
      });
      afterAll(async () => {
        await lb.close();
        await a.close();
        await b.close();
        await redisA.close();
        await redisB.close();
        await longLived.close();
      });

      test('a login started on instance A finishes on instance B, which redeems the code', async () => {
        const account = await createUser(a);
        const client = await registerWebClient(a);
        const viaLb = { ...a, url: lb.url };
        lb.target = 'A';
        const config = await discover(viaLb, client);
        const attempt = await authorizationRequest(config, 'openid email');

        const browser = new Browser(lb.url);
        const login = await browser.follow(attempt.url.href);
        expect(login.text).toContain('id="password"');
        const posted = await browser.post(formAction(login.text, '/login'), {
          _csrf: inputValue(login.text, '_csrf')!,
          email: account.email,
          password: 'correct horse battery staple',
        });
        expect(posted.status).toBe(303);
        const hitsOnA = lb.hits.get('A');

        lb.target = 'B';
        const consent = await browser.follow(new URL(posted.location!, lb.url).href);
        expect(consent.text).toContain('Allow access');
        const back = await browser.post(formAction(consent.text, '/confirm'), { _csrf: inputValue(consent.text, '_csrf')! });
        const callback = await browser.follow(new URL(back.location!, lb.url).href);
        expect(callback.location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));

        const tokens = await exchangeCode(config, attempt, new URL(callback.location!));
        expect(tokens.claims()!.sub).toBe(account.id);
        expect(lb.hits.get('A')).toBe(hitsOnA);
        expect(lb.hits.get('B')).toBeGreaterThanOrEqual(4);
      });
    });
  });
}
