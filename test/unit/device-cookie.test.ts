import { randomBytes } from 'node:crypto';
import Koa from 'koa';
import request from 'supertest';
import { createDeviceTokens } from '../../src/accounts/device-tokens.js';
import { createDeviceCookie, DEVICE_COOKIE } from '../../src/http/device-cookie.js';
import { TestClock } from '../support/app.js';

/** A bare Koa app that remembers the browser for `?email=` and reports which device id it holds for it. */
function cookieApp(secure: boolean) {
  const cookie = createDeviceCookie(createDeviceTokens({ key: randomBytes(32), clock: new TestClock() }), { secure });
  const app = new Koa();
  // Stands in for a TLS-terminating proxy (pinOrigin does this in the real app).
  app.proxy = true;
  app.use((ctx) => {
    const email = String(ctx.query.email);
    if (ctx.path === '/interaction/remember') cookie.remember(ctx, email);
    ctx.body = { deviceId: cookie.deviceFor(ctx, email) };
  });
  return app.callback();
}

describe('device cookie', () => {
  test('Secure on an https issuer, with the other attributes', async () => {
    const res = await request(cookieApp(true)).get('/interaction/remember?email=ada@example.com').set('X-Forwarded-Proto', 'https');
    const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
    expect(set).toMatch(/; secure(;|$)/);
    expect(set).toMatch(/; httponly(;|$)/);
    expect(set).toMatch(/; samesite=lax(;|$)/);
    expect(set).toMatch(/; path=\/interaction(;|$)/);
  });

  test('a browser sends it back and is recognised for that account only; an oversized cookie is read boundedly', async () => {
    const agent = request.agent(cookieApp(false));
    await agent.get('/interaction/remember?email=ada@example.com');
    await agent.get('/interaction/remember?email=grace@example.com');
    expect((await agent.get('/interaction/x?email=ADA@example.com')).body.deviceId).toMatch(/^[\w-]{22}$/);
    expect((await agent.get('/interaction/x?email=grace@example.com')).body.deviceId).toMatch(/^[\w-]{22}$/);
    expect((await agent.get('/interaction/x?email=alan@example.com')).body.deviceId).toBeNull();

    const huge = Array.from({ length: 500 }, () => 'x'.repeat(20)).join('~');
    const res = await request(cookieApp(false)).get('/interaction/x?email=ada@example.com').set('Cookie', `${DEVICE_COOKIE}=${huge}`);
    expect(res.status).toBe(200);
    expect(res.body.deviceId).toBeNull();
  });
});
