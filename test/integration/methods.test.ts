import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../support/app.js';
import { send } from '../support/http.js';
import { watchServerErrors, type ServerErrorWatch } from '../support/server-errors.js';

const GET = 'GET, HEAD, OPTIONS';
const POST = 'OPTIONS, POST';
const GET_POST = 'GET, HEAD, OPTIONS, POST';

/** Every path the app answers (":uid" segments filled with "x") and the Allow header it must send. */
const OURS: Record<string, string> = {
  '/': GET,
  '/healthz': GET,
  '/readyz': GET,
  '/assets/latchkey.css': GET,
  '/favicon.ico': GET,
  '/favicon.svg': GET,
  '/interaction/x': GET,
  '/interaction/x/login': POST,
  '/interaction/x/confirm': POST,
  '/interaction/x/abort': POST,
};
const PROVIDER: Record<string, string> = {
  '/auth': GET,
  '/auth/x': GET,
  '/me': GET_POST,
  '/token': POST,
  '/jwks': GET,
  '/token/revocation': POST,
  '/token/introspection': POST,
  '/request': POST,
  '/session/end': GET,
  '/session/end/confirm': POST,
  '/session/end/success': GET,
  // The provider's router also matches /device/:uid here, for GET.
  '/device/auth': GET_POST,
  '/device': GET_POST,
  '/device/x': GET,
  '/.well-known/openid-configuration': GET,
  '/.well-known/oauth-authorization-server': GET,
};
const ROUTES = { ...OURS, ...PROVIDER };

/** Standard methods, WebDAV ones Node's parser accepts, and one spelled oddly. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PURGE', 'PROPFIND', 'LOCK', 'MKCOL'];

const allows = (allow: string, method: string) => allow.split(', ').includes(method);

describe('every route with every method', () => {
  let app: TestApp;
  let watch: ServerErrorWatch;
  beforeAll(async () => {
    app = await startTestApp();
    watch = watchServerErrors(app);
  });
  afterAll(async () => {
    watch.stop();
    await app.close();
  });
  afterEach(() => expect(watch.errors).toEqual([]));

  const html = { accept: 'text/html' };

  test.each(Object.entries(ROUTES))('%s: its methods are served, others get 405 with Allow: %s', async (path, allow) => {
    for (const method of METHODS) {
      const res = await send(app.url, { method, path, headers: html });
      const where = `${method} ${path} → ${res.status}`;
      if (method === 'OPTIONS') {
        expect([where, res.status, res.headers.allow]).toEqual([where, 204, allow]);
      } else if (allows(allow, method)) {
        expect([where, res.status < 500, res.status === 404 || res.status === 405]).toEqual([where, true, false]);
      } else {
        expect([where, res.status, res.headers.allow, res.headers['content-type']]).toEqual([where, 405, allow, 'text/html; charset=utf-8']);
        if (method !== 'HEAD') {
          expect(res.body).toContain('<h1>This page cannot do that</h1>');
          expect(res.body).toContain('<code>method_not_allowed</code>');
        }
      }
    }
  });

  test.each(Object.entries(ROUTES).filter(([, allow]) => allows(allow, 'GET')))('HEAD %s answers like GET, without a body', async (path) => {
    const get = await send(app.url, { method: 'GET', path, headers: html });
    const head = await send(app.url, { method: 'HEAD', path, headers: html });
    expect(head.status).toBe(get.status);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.body).toBe('');
  });

  test('a refused method is JSON for a client that asks for JSON', async () => {
    const res = await send(app.url, { method: 'DELETE', path: '/jwks', headers: { accept: 'application/json' } });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(GET);
    expect(JSON.parse(res.body)).toEqual({ error: 'method_not_allowed', error_description: expect.stringContaining('Go back to the app') });
  });

  test('the router matching rules apply: case and one trailing slash do not make a path unknown', async () => {
    for (const path of ['/JWKS', '/jwks/', '/Device/X/']) {
      const res = await send(app.url, { method: 'PUT', path, headers: html });
      expect([path, res.status]).toEqual([path, 405]);
    }
  });

  test('an unknown path is a 404 page whatever the method', async () => {
    for (const method of METHODS.filter((m) => m !== 'HEAD')) {
      const res = await send(app.url, { method, path: '/no/such/page', headers: html });
      expect([method, res.status, res.headers.allow]).toEqual([method, 404, undefined]);
      expect(res.body).toContain('<h1>Page not found</h1>');
    }
  });

  test('CORS preflights still reach the provider', async () => {
    const res = await send(app.url, {
      method: 'OPTIONS',
      path: '/token',
      headers: { origin: 'https://rp.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    expect(res.headers['access-control-allow-origin']).toBe('https://rp.example');
  });
});

/**
 * The app's table of the provider's routes is written by hand (its router does not expose
 * one): node-oidc-provider served on its own shows which methods each path really has.
 */
describe("the provider's own router agrees with the table", () => {
  let app: TestApp;
  let bare: Server;
  let bareUrl: string;
  beforeAll(async () => {
    app = await startTestApp();
    app.container.provider.silent = true;
    bare = createServer(app.container.provider.callback());
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    bare.closeAllConnections();
    await new Promise((resolve) => bare.close(resolve));
    await app.close();
  });

  test.each(Object.entries(PROVIDER))('%s', async (path, allow) => {
    for (const method of METHODS.filter((m) => m !== 'OPTIONS')) {
      const res = await send(bareUrl, { method, path, headers: { accept: 'application/json' } });
      // Unmatched requests fall through the bare provider to Koa's 404.
      expect([method, res.status !== 404]).toEqual([method, allows(allow, method)]);
    }
  });
});
