import request from 'supertest';
import type { ClientMetadata } from '../../src/store/ports.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { clientCredentials } from '../support/token-endpoint.js';

const PAGE_ONLY = ['referrer-policy', 'cross-origin-opener-policy', 'permissions-policy'];
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The headers every answer carries, page or JSON. */
function common(headers: Record<string, string>, https: boolean) {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  if (https) expect(headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
  else expect(headers['strict-transport-security']).toBeUndefined();
}

function pageSet(headers: Record<string, string>, https = false) {
  common(headers, https);
  expect(headers['content-security-policy']).toContain("script-src 'self'");
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['permissions-policy']).toContain('camera=()');
  // No page is kept by a cache.
  expect(headers['cache-control']).toBe('no-store');
}

function apiSet(headers: Record<string, string>, https = false) {
  common(headers, https);
  expect(headers['content-security-policy']).toBe(API_CSP);
  for (const name of PAGE_ONLY) expect(headers[name]).toBeUndefined();
}

describe('security headers: the page set on pages, the API set on JSON for programs', () => {
  let app: TestApp;
  let machine: ClientMetadata;
  beforeAll(async () => {
    app = await startTestApp();
    machine = await app.container.clients.create({ name: 'Billing', redirectUris: [], grantTypes: ['client_credentials'] });
  });
  afterAll(() => app.close());

  test('the token endpoint (its answer and its refusals), discovery, JWKS and userinfo get the API set', async () => {
    const issued = await clientCredentials(app, machine);
    expect(issued.status).toBe(200);
    expect(issued.headers['content-type']).toMatch(/^application\/json/);
    apiSet(issued.headers);
    const refused = await clientCredentials(app, machine, 'wrong');
    expect(refused.status).toBe(401);
    apiSet(refused.headers);
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/me']) apiSet((await request(app.url).get(path)).headers);
  });

  test('pages get the page set: the home page, the sign-in side of the provider, a 404', async () => {
    pageSet((await request(app.url).get('/')).headers);
    pageSet((await request(app.url).get('/device')).headers);
    const missing = await request(app.url).get('/no-such-page').set('Accept', 'text/html');
    expect(missing.status).toBe(404);
    pageSet(missing.headers);
  });

  test('an API path that answers a browser with an error page gets the page set', async () => {
    const page = await request(app.url).get('/token').set('Accept', 'text/html');
    expect(page.status).toBe(405);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    pageSet(page.headers);
    // The same refusal as JSON stays in the API set.
    const json = await request(app.url).get('/token').set('Accept', 'application/json');
    expect(json.status).toBe(405);
    apiSet(json.headers);
  });

  test('an https issuer adds HSTS to both sets', async () => {
    const secure = await startTestApp({ https: true });
    try {
      const forwarded = { 'X-Forwarded-Proto': 'https' };
      pageSet((await request(secure.url).get('/').set(forwarded)).headers, true);
      apiSet((await request(secure.url).get('/jwks').set(forwarded)).headers, true);
    } finally {
      await secure.close();
    }
  });
});
