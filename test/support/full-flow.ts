import * as oidc from 'openid-client';
import { decodeProtectedHeader } from 'jose';
import { createUser, type TestApp } from './app.js';
import { Browser, formAction, inputValue } from './browser.js';
import { authorizationRequest, discover, exchangeCode, POST_LOGOUT_URI, REDIRECT_URI, registerWebClient, signInThroughBrowser } from './rp.js';

/**
 * The whole relying-party journey with openid-client, asserting every step: discovery →
 * PKCE login → consent → tokens (ID token checked) → userinfo → refresh rotation and
 * reuse detection → silent re-authorization → introspection and revocation → logout.
 * Shared by the embedded-store and Redis runs.
 */
export async function runFullFlow(app: TestApp): Promise<void> {
  const account = await createUser(app);
  const client = await registerWebClient(app);
  const config = await discover(app, client);
  expect(config.serverMetadata().issuer).toBe(app.url);
  expect(config.serverMetadata().code_challenge_methods_supported).toEqual(['S256']);

  const browser = new Browser(app.url);
  const attempt = await authorizationRequest(config);
  const callback = await signInThroughBrowser(browser, attempt.url, 'ADA@example.com');
  expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);

  // openid-client checks state, iss, the ID token signature against the JWKS, aud and nonce.
  const tokens = await exchangeCode(config, attempt, callback);
  const claims = tokens.claims()!;
  expect(claims.iss).toBe(app.url);
  expect(claims.aud).toBe(client.client_id);
  expect(claims.sub).toBe(account.id);
  expect(claims.nonce).toBe(attempt.nonce);
  expect(claims.amr).toEqual(['pwd']);
  expect(claims.acr).toBe('urn:latchkey:acr:1fa');
  expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');
  expect(tokens.refresh_token).toEqual(expect.any(String));

  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, account.id);
  expect(userinfo).toMatchObject({ sub: account.id, email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' });

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.refresh_token).toEqual(expect.any(String));
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(true);

  // The rotated-out refresh token is refused, and its reuse revokes the grant's tokens.
  await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  expect((await oidc.tokenIntrospection(config, refreshed.refresh_token!)).active).toBe(false);

  // Same browser session: no password and no second consent for this client.
  const second = await authorizationRequest(config, 'openid email');
  const page = await browser.follow(second.url.href);
  expect(page.location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));
  const tokens2 = await exchangeCode(config, second, new URL(page.location!));
  expect((await oidc.tokenIntrospection(config, tokens2.access_token)).active).toBe(true);
  await oidc.tokenRevocation(config, tokens2.access_token);
  expect((await oidc.tokenIntrospection(config, tokens2.access_token)).active).toBe(false);

  const logoutUrl = oidc.buildEndSessionUrl(config, {
    id_token_hint: tokens2.id_token!,
    post_logout_redirect_uri: POST_LOGOUT_URI,
    state: 'bye',
  });
  const confirm = await browser.follow(logoutUrl.href);
  expect(confirm.text).toContain('Sign out?');
  const done = await browser.post(formAction(confirm.text, '/session/end'), { xsrf: inputValue(confirm.text, 'xsrf')!, logout: 'yes' });
  expect(done.location).toBe(`${POST_LOGOUT_URI}?state=bye`);

  // Signed out: a new authorization request asks for the password again.
  const again = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
  expect(again.text).toContain('id="password"');
}
