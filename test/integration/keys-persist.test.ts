import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { createUser, startTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { authorizationRequest, discover, registerWebClient } from '../support/rp.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';

describe('keys survive a restart on the same SQLite file', () => {
  let dir: string;
  const running: TestApp[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-keys-'));
  });
  afterAll(async () => {
    for (const app of running) await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const app = await startTestApp({ stores: createSqliteStores(join(dir, 'latchkey.sqlite')), env: { LATCHKEY_SECRET: TEST_SECRET } });
    running.push(app);
    return app;
  };
  const stop = async (app: TestApp) => {
    running.splice(running.indexOf(app), 1);
    await app.close();
  };
  const jwks = async (app: TestApp) => {
    const res = await fetch(`${app.url}/jwks`);
    expect(res.status).toBe(200);
    return (await res.json()) as { keys: Array<Record<string, unknown>> };
  };
  const cookieHeader = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

  test('a token, the JWKS and the cookie keys of the first instance are honoured by the second', async () => {
    const app1 = await start();
    await createUser(app1);
    const service = await app1.container.clients.create({ name: 'Service', redirectUris: [], grantTypes: ['client_credentials'] });
    const web = await registerWebClient(app1);
    const token = (await oidc.clientCredentialsGrant(await discover(app1, service))).access_token;
    const keys1 = await jwks(app1);
    expect(keys1.keys.map((k) => k.alg)).toEqual(['ES256', 'RS256']);
    expect(keys1.keys.every((k) => k.d === undefined)).toBe(true);

    // A browser starts signing in on the first instance: the interaction cookies are signed with its cookie keys.
    const attempt = await authorizationRequest(await discover(app1, web), 'openid');
    const auth = await fetch(attempt.url, { redirect: 'manual' });
    expect(auth.status).toBe(303);
    const interactionPath = new URL(auth.headers.get('location')!, app1.url).pathname;
    expect(interactionPath).toMatch(/^\/interaction\/[\w-]+$/);
    const cookies = cookieHeader(auth);
    expect(cookies).toContain('_interaction.sig=');
    const fileStores = app1.container.stores as ReturnType<typeof createSqliteStores>;
    const secrets = fileStores.db.prepare('SELECT name, value FROM secrets ORDER BY name').all() as Array<{ name: string; value: string }>;
    await stop(app1);

    // Secrets at rest are sealed, not the plain JSON of the keys.
    expect(secrets.map((s) => s.name)).toEqual(['oidc.cookie-keys', 'oidc.jwks']);
    for (const { value } of secrets) {
      expect(value).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(value).not.toContain('"kty"');
      expect(value).not.toContain('[');
    }

    const app2 = await start();
    expect(app2.url).not.toBe(app1.url);
    expect(await jwks(app2)).toEqual(keys1);
    const introspection = await oidc.tokenIntrospection(await discover(app2, service), token);
    expect(introspection.active).toBe(true);
    expect(introspection.client_id).toBe(service.client_id);

    // The second instance accepts the first one's signed cookies and continues the sign-in…
    const login = await fetch(`${app2.url}${interactionPath}`, { headers: { cookie: cookies, accept: 'text/html' }, redirect: 'manual' });
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('<h1>Sign in</h1>');
    // …and would not with a cookie signed under another key.
    const forged = cookies.replace(/_interaction\.sig=[^;]+/, '_interaction.sig=AAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const refused = await fetch(`${app2.url}${interactionPath}`, { headers: { cookie: forged, accept: 'text/html' }, redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('This sign-in request has expired');
  });
});
