import * as oidc from 'openid-client';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { answerSignOutPrompt, authorizationRequest, discover, exchangeCode, POST_LOGOUT_URI, REDIRECT_URI, registerWebClient, signInThroughBrowser } from '../support/rp.js';

describe('RP-initiated sign-out: the answer is what happens', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  beforeAll(async () => {
    app = await startTestApp();
    await createUser(app);
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(() => app.close());

  /** A browser signed in to the RP, and the ID token the RP keeps for signing out. */
  const signedIn = async () => {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const callback = await signInThroughBrowser(browser, attempt.url, 'ada@example.com');
    const tokens = await exchangeCode(config, attempt, callback);
    return { browser, idToken: tokens.id_token! };
  };

  /** Whether the browser still has a Latchkey session: a new authorization request then skips the password. */
  const sessionAlive = async (browser: Browser) => {
    const page = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
    if (page.text.includes('id="password"')) return false;
    expect(page.location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));
    return true;
  };

  test('"No, stay signed in" at the app\'s request keeps the session and says so', async () => {
    const { browser, idToken } = await signedIn();
    const page = await answerSignOutPrompt(browser, oidc.buildEndSessionUrl(config, { id_token_hint: idToken }).href, false);
    expect(page.status).toBe(200);
    expect(page.url).toMatch(/\/session\/end\/success\?client_id=/);
    expect(page.text).toContain('<h1>You are still signed in</h1>');
    expect(page.text).toContain('You are still signed in to Latchkey on this device. You can go back to Example RP, or close this window.');
    expect(page.text).not.toContain('signed out');
    expect(await sessionAlive(browser)).toBe(true);
  });

  test('"No, stay signed in" without an app keeps the session and says so', async () => {
    const { browser } = await signedIn();
    const page = await answerSignOutPrompt(browser, `${app.url}/session/end`, false);
    expect(page.text).toContain('<h1>You are still signed in</h1>');
    expect(page.text).toContain('You are still signed in to Latchkey on this device. You can close this window.');
    expect(await sessionAlive(browser)).toBe(true);
  });

  test('"No" with a post_logout_redirect_uri goes back to the app, signed in to Latchkey', async () => {
    const { browser, idToken } = await signedIn();
    const url = oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT_URI, state: 's' });
    const page = await answerSignOutPrompt(browser, url.href, false);
    expect(page.location).toBe(`${POST_LOGOUT_URI}?state=s`);
    expect(await sessionAlive(browser)).toBe(true);
  });

  test('"Yes, sign me out" ends the session and says so', async () => {
    const { browser, idToken } = await signedIn();
    const page = await answerSignOutPrompt(browser, oidc.buildEndSessionUrl(config, { id_token_hint: idToken }).href, true);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>You are signed out</h1>');
    expect(page.text).not.toContain('still signed in');
    expect(await sessionAlive(browser)).toBe(false);
  });
});
