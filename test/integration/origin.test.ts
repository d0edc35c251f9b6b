import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { authorizationRequest, discover, registerWebClient } from '../support/rp.js';

/** Every URL-looking string in a body, to check none of them was built from a request header. */
const urlsIn = (text: string) => [...text.matchAll(/https?:\/\/[^"'\s<>]+/g)].map((m) => m[0]);

describe('the issuer is the only origin', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test.each(['/.well-known/openid-configuration', '/jwks', '/device', '/auth?client_id=x', '/', '/interaction/abc'])(
    'a foreign Host on %s is refused with 421 and no URL carries that host',
    async (path) => {
      const res = await request(app.url).get(path).set('Host', 'evil.example').set('Accept', 'text/html');
      expect(res.status).toBe(421);
      expect(res.text).not.toContain('evil.example');
      expect(res.text).toContain(`Open ${app.issuer} instead`);
      expect(res.headers.location).toBeUndefined();
    },
  );

  test('a foreign Host on a JSON endpoint gets a JSON 421', async () => {
    const res = await request(app.url).post('/token').set('Host', 'evil.example:1234').set('Accept', 'application/json').type('form').send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(421);
    expect(res.body).toMatchObject({ error: 'wrong_host' });
  });

  test('X-Forwarded-Host is ignored without a trusted proxy', async () => {
    const res = await request(app.url).get('/.well-known/openid-configuration').set('X-Forwarded-Host', 'evil.example');
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain('evil.example');
    expect(res.body.authorization_endpoint).toBe(`${app.issuer}/auth`);
  });

  test('health endpoints answer whatever Host an orchestrator sends', async () => {
    expect((await request(app.url).get('/healthz').set('Host', '10.1.2.3:3000')).status).toBe(200);
    expect((await request(app.url).get('/readyz').set('Host', '10.1.2.3:3000')).status).toBe(200);
  });

  test('discovery and JWKS carry Cache-Control, built from the issuer', async () => {
    const discovery = await request(app.url).get('/.well-known/openid-configuration');
    expect(discovery.headers['cache-control']).toBe('public, max-age=300');
    for (const url of urlsIn(discovery.text)) expect(url.startsWith(app.issuer)).toBe(true);
    const jwks = await request(app.url).get('/jwks');
    expect(jwks.headers['cache-control']).toBe('public, max-age=300');
  });

  test('discovery advertises only the acr the flow enforces', async () => {
    const discovery = await request(app.url).get('/.well-known/openid-configuration');
    expect(discovery.body.acr_values_supported).toEqual(['urn:latchkey:acr:1fa', 'urn:latchkey:acr:2fa', 'phr']);
  });
});

describe('behind a trusted TLS-terminating proxy (https issuer, TRUST_PROXY=1)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ https: true });
  });
  afterAll(() => app.close());

  const viaProxy = (path: string, headers: Record<string, string> = {}) =>
    request(app.url).get(path).set({ 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9', Accept: 'text/html', ...headers });

  test('generated URLs are https on the issuer, even with a spoofed leftmost X-Forwarded-Host', async () => {
    const res = await viaProxy('/.well-known/openid-configuration', { 'X-Forwarded-Host': `evil.example, 127.0.0.1:${new URL(app.issuer).port}` });
    expect(res.status).toBe(200);
    expect(res.body.issuer).toBe(app.issuer);
    expect(res.body.device_authorization_endpoint).toBe(`${app.issuer}/device/auth`);
    expect(res.text).not.toContain('evil.example');
  });

  test('a forwarded host other than the issuer is refused', async () => {
    const res = await viaProxy('/.well-known/openid-configuration', { 'X-Forwarded-Host': 'evil.example' });
    expect(res.status).toBe(421);
  });

  test('a request the proxy received over plain http is refused', async () => {
    const res = await viaProxy('/.well-known/openid-configuration', { 'X-Forwarded-Proto': 'http' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('secure (https) connection');
  });

  test('every cookie is Secure and the CSRF cookie is __Host- prefixed', async () => {
    // openid-client would fetch the https issuer itself, which nothing serves here: the
    // authorization request is built by hand.
    const client = await registerWebClient(app);
    const auth = await viaProxy(
      `/auth?client_id=${client.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://rp.example/callback')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
    );
    expect(auth.status).toBe(303);
    const interactionCookies = auth.headers['set-cookie'] as unknown as string[];
    expect(interactionCookies.length).toBeGreaterThan(0);
    for (const cookie of interactionCookies) expect(cookie.toLowerCase()).toContain('; secure');
    const login = await viaProxy(new URL(auth.headers.location!, app.issuer).pathname, { Cookie: interactionCookies.map((c) => c.split(';')[0]).join('; ') });
    expect(login.status).toBe(200);
    const csrfCookie = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.includes('lk.csrf'))!;
    expect(csrfCookie).toMatch(/^__Host-lk\.csrf=/);
    expect(csrfCookie.toLowerCase()).toContain('; secure');
    expect(csrfCookie).not.toMatch(/domain=/i);
  });
});

describe('CSRF tokens are bound to the interaction they were issued for', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const openLogin = async (browser: Browser) => {
    const client = await registerWebClient(app);
    const attempt = await authorizationRequest(await discover(app, client), 'openid');
    const page = await browser.follow(attempt.url.href);
    return { action: formAction(page.text, '/login'), csrf: inputValue(page.text, '_csrf')! };
  };

  test("a token from the same browser's other interaction is refused", async () => {
    const browser = new Browser(app.url);
    const first = await openLogin(browser);
    const second = await openLogin(browser);
    const crossed = await browser.post(second.action, { _csrf: first.csrf, email: 'a@example.com', password: 'whatever-password' });
    expect(crossed.status).toBe(403);
    const own = await browser.post(second.action, { _csrf: second.csrf, email: 'a@example.com', password: 'whatever-password' });
    expect(own.status).toBe(401);
  });

  test("an attacker's own cookie/token pair, planted in the victim's browser, is refused on the victim's interaction", async () => {
    const attacker = new Browser(app.url);
    const attackerLogin = await openLogin(attacker);
    const victim = new Browser(app.url);
    const victimLogin = await openLogin(victim);
    victim.setCookie('lk.csrf', attacker.cookie('lk.csrf')!);
    expect(victim.cookie('lk.csrf')).toBe(attacker.cookie('lk.csrf'));
    const forged = await victim.post(victimLogin.action, { _csrf: attackerLogin.csrf, email: 'a@example.com', password: 'whatever-password' });
    expect(forged.status).toBe(403);
  });
});

describe('anonymous traffic', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { PAGE_RATE_LIMIT: '5' } });
  });
  afterAll(() => app.close());

  test('the anonymous pages are rate-limited per client IP, with Retry-After and a page', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await request(app.url).get('/device').set('Accept', 'text/html')).status);
    expect(statuses.slice(0, 5).every((s) => s === 200)).toBe(true);
    const limited = await request(app.url).get('/session/end').set('Accept', 'text/html');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many requests from your network');
    // Token and discovery endpoints are not page traffic.
    expect((await request(app.url).get('/.well-known/openid-configuration')).status).toBe(200);
  });
});

describe('sessions nobody signed in to', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test('a cookie-less /device or /session/end stores a session that lives minutes, not 14 days', async () => {
    const db = (app.container.stores as unknown as { db: import('better-sqlite3').Database }).db;
    await request(app.url).get('/device');
    await request(app.url).get('/session/end');
    const rows = db.prepare("SELECT expires_at FROM oidc_artifacts WHERE model = 'Session'").all() as { expires_at: number }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.expires_at - Date.now()).toBeLessThanOrEqual(10 * 60 * 1000);
  });
});
