import * as oidc from 'openid-client';
import { decodeProtectedHeader } from 'jose';
import { sealClientSecret } from '../../src/oidc/client-secrets.js';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { runFullFlow } from '../support/full-flow.js';
import { authorizationRequest, discover, exchangeCode, registerWebClient, signInThroughBrowser } from '../support/rp.js';

describe('authorization code flow driven by openid-client (embedded SQLite store)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test('discovery → PKCE login → consent → tokens → userinfo → refresh rotation → revocation → logout', async () => {
    await runFullFlow(app);
  });

  test('a client registered for RS256 ID tokens gets them signed with the RSA key of the JWKS, at sign-in and on refresh', async () => {
    await createUser(app, 'rsa@example.com');
    // The registration service offers no algorithm choice; a client stored with one is still honoured.
    const registered = await registerWebClient(app);
    const client = { ...registered, client_id: `${registered.client_id}-rs`, id_token_signed_response_alg: 'RS256' };
    await app.container.stores.clients.create(sealClientSecret(client, app.container.box));
    const config = await discover(app, client);
    const attempt = await authorizationRequest(config);
    const tokens = await exchangeCode(config, attempt, await signInThroughBrowser(new Browser(app.url), attempt.url, 'rsa@example.com'));
    // discover() has openid-client verify each ID token's signature against the JWKS.
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    expect(tokens.claims()!.aud).toBe(client.client_id);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(decodeProtectedHeader(refreshed.id_token!).alg).toBe('RS256');
    expect(refreshed.claims()!.sub).toBe(tokens.claims()!.sub);
  });
});
