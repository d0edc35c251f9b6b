import * as oidc from 'openid-client';
import type { ClientMetadata } from '../../src/store/ports.js';
import type { TestApp } from './app.js';
import { Browser, formAction, inputValue, type Page } from './browser.js';
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

/**
 * openid-client's view of the provider (discovery over plain http on loopback). It also checks
 * every ID token's signature against the provider's JWKS (enableNonRepudiationChecks), which
 * openid-client skips by default for ID tokens from the token endpoint.
 */
export async function discover(app: TestApp, client: ClientMetadata): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(app.url),
    client.client_id,
    client.client_secret as string | undefined,
    undefined,
    { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] },
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

/** openid-client exchanges the code at `callback` for tokens, checking PKCE, the nonce and the state of `attempt`. */
export function exchangeCode(config: oidc.Configuration, attempt: AuthorizationAttempt, callback: URL) {
  return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: attempt.verifier, expectedNonce: attempt.nonce, expectedState: attempt.state });
}

/** Exchanges the code (as exchangeCode) and returns the ID token's claims. */
export async function idTokenClaims(config: oidc.Configuration, attempt: AuthorizationAttempt, callback: URL) {
  return (await exchangeCode(config, attempt, callback)).claims()!;
}

/** The sign-in form of one interaction: it can be filled in and sent any number of times. */
export interface LoginForm {
  action: string;
  /** Sends the form (with extra request headers, if any) and returns the answer, following nothing. */
  attempt(email: string, password: string, headers?: Record<string, string>): Promise<Page>;
  /** Sends the form and follows the redirects that stay on the issuer. */
  submit(email: string, password: string): Promise<Page & { url: string }>;
}

/** Opens the authorization URL in `browser`, which must land on the sign-in form. */
export async function openLoginForm(browser: Browser, authorizationUrl: URL): Promise<LoginForm> {
  const page = await browser.follow(authorizationUrl.href);
  if (!page.text.includes('Sign in')) throw new Error(`Expected the login page, got ${page.status}:\n${page.text}`);
  const action = formAction(page.text, '/login');
  const csrf = inputValue(page.text, '_csrf')!;
  return {
    action,
    attempt: (email, password, headers) => browser.post(action, { _csrf: csrf, email, password }, headers),
    submit: (email, password) => browser.submit(action, { _csrf: csrf, email, password }),
  };
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
  const page = await agreeIfAsked(browser, await (await openLoginForm(browser, authorizationUrl)).submit(email, password));
  if (!page.location) throw new Error(`Expected a redirect to the RP, got ${page.status}:\n${page.text}`);
  return new URL(page.location);
}

/** Agrees on the consent page when `page` is one; returns where that ends (or `page` itself). */
export async function agreeIfAsked(browser: Browser, page: Page & { url: string }): Promise<Page & { url: string }> {
  if (page.location !== undefined || !page.text.includes('Allow access')) return page;
  return browser.submit(formAction(page.text, '/confirm'), { _csrf: inputValue(page.text, '_csrf')! });
}

/**
 * A person answering the sign-out prompt that `endSessionUrl` shows: "Yes, sign me out"
 * (signOut) or "No, stay signed in". Returns the page the answer ends on, or the redirect
 * that leaves the issuer (to the RP's post_logout_redirect_uri).
 */
export async function answerSignOutPrompt(browser: Browser, endSessionUrl: string, signOut: boolean): Promise<Page & { url: string }> {
  const prompt = await browser.follow(endSessionUrl);
  if (!prompt.text.includes('<h1>Sign out?</h1>')) throw new Error(`Expected the sign-out prompt, got ${prompt.status}:\n${prompt.text}`);
  const xsrf = inputValue(prompt.text, 'xsrf')!;
  return browser.submit(formAction(prompt.text, '/session/end'), signOut ? { xsrf, logout: 'yes' } : { xsrf });
}
