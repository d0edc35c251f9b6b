import * as oidc from 'openid-client';
import type { ClientMetadata } from '../../src/store/ports.js';
import type { TestApp } from './app.js';
import { Browser, formAction, inputValue } from './browser.js';
import { TEST_PASSWORD } from './app.js';

export const REDIRECT_URI = 'https://rp.example/callback';
export const POST_LOGOUT_URI = 'https://rp.example/signed-out';

/** A confidential web client registered through the same service the CLI uses. */
export async function registerWebClient(app: TestApp, extra: { grantTypes?: string[] } = {}): Promise<ClientMetadata> {
  return app.container.clients.create({
    name: 'Example RP',
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [POST_LOGOUT_URI],
    grantTypes: extra.grantTypes ?? ['authorization_code', 'refresh_token'],
  });
}

/** openid-client's view of the provider (discovery over plain http on loopback). */
export async function discover(app: TestApp, client: ClientMetadata): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(app.url),
    client.client_id,
    client.client_secret as string | undefined,
    undefined,
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface AuthorizationAttempt {
  url: URL;
  verifier: string;
  nonce: string;
  state: string;
}

export async function authorizationRequest(config: oidc.Configuration, scope = 'openid profile email offline_access', extra: Record<string, string> = {}): Promise<AuthorizationAttempt> {
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
    ...extra,
  });
  return { url, verifier, nonce, state };
}

/**
 * A person signing in: opens the authorization URL, fills the login form, agrees on the
 * consent page when asked. Returns the URL the browser is finally sent to at the RP.
 */
export async function signInThroughBrowser(
  browser: Browser,
  authorizationUrl: URL,
  email: string,
  password = TEST_PASSWORD,
): Promise<URL> {
  let page = await browser.follow(authorizationUrl.href);
  if (!page.text.includes('Sign in')) throw new Error(`Expected the login page, got ${page.status}:\n${page.text}`);
  page = await browser.submit(formAction(page.text, '/login'), {
    _csrf: inputValue(page.text, '_csrf')!,
    email,
    password,
  });
  if (page.location === undefined && page.text.includes('Allow access')) {
    page = await browser.submit(formAction(page.text, '/confirm'), { _csrf: inputValue(page.text, '_csrf')! });
  }
  if (!page.location) throw new Error(`Expected a redirect to the RP, got ${page.status}:\n${page.text}`);
  return new URL(page.location);
}
