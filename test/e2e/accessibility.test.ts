import type { Browser, BrowserContext, Page } from 'playwright-core';
import type * as oidc from 'openid-client';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { collectBrowserErrors, expectAccessible, launchChromium } from '../support/chromium.js';
import { authorizationRequest, discover } from '../support/rp.js';

/**
 * Every page a person sees, in a real browser, checked by axe-core (WCAG 2 A/AA and best
 * practices, colour contrast included) in the light and the dark colour scheme, under the
 * app's own CSP (which must block nothing the pages use).
 *
 * Needs Chromium: Debian's package `chromium` (/usr/bin/chromium), or CHROMIUM_PATH.
 */
describe('accessibility of every page, light and dark (axe-core in Chromium)', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  let redirectUri: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** CSP violations and script errors the browser reported. */
  const browserErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    app = await startTestApp();
    await createUser(app);
    // The RP's callback is on loopback too (an unknown page of the app), so that the browser never leaves the machine.
    redirectUri = `${app.url}/rp/callback`;
    config = await discover(app, await app.container.clients.create({ name: 'Example RP', redirectUris: [redirectUri], grantTypes: ['authorization_code'] }));
    context = await browser.newContext();
    page = await context.newPage();
    collectBrowserErrors(page, browserErrors);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => expect(browserErrors.splice(0)).toEqual([]));

  const heading = () => page.locator('h1').innerText();

  test('login, consent, the sign-out prompt and its answer', async () => {
    const attempt = await authorizationRequest(config, 'openid profile email offline_access', { redirect_uri: redirectUri });
    await page.goto(attempt.url.href);
    expect(await heading()).toBe('Sign in');
    await expectAccessible(page, 'login');

    // The page font reaches form controls too (browsers do not inherit it by default).
    const fonts = (await page.evaluate(
      "['body', 'button', 'input#email'].map((selector) => getComputedStyle(document.querySelector(selector)).fontFamily)",
    )) as string[];
    expect(new Set(fonts).size).toBe(1);

    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', TEST_PASSWORD);
    await page.click('button[type=submit]:has-text("Sign in")');
    expect(await heading()).toBe('Allow access');
    await expectAccessible(page, 'consent');

    await page.click('button:has-text("Allow")');
    await page.waitForURL((url) => url.href.startsWith(`${redirectUri}?code=`));

    await page.goto(`${app.url}/session/end`);
    expect(await heading()).toBe('Sign out?');
    await expectAccessible(page, 'sign-out prompt');

    await page.click('button:has-text("No, stay signed in")');
    expect(await heading()).toBe('You are still signed in');
    await expectAccessible(page, 'still signed in');
  }, 60_000);

  test.each([
    ['device code input', '/device', 'Connect a device'],
    ['404', '/no/such/page', 'Page not found'],
    ['expired device sign-in', '/device/expired', 'This device sign-in has expired'],
  ])('%s', async (label, path, expected) => {
    await context.clearCookies();
    await page.goto(`${app.url}${path}`);
    expect(await heading()).toBe(expected);
    await expectAccessible(page, label);
  }, 60_000);

  test('create account, enter code, already in use; forgot password, check inbox, choose a new password, changed', async () => {
    await context.clearCookies();
    const attempt = await authorizationRequest(config, 'openid', { redirect_uri: redirectUri, prompt: 'create' });
    await page.goto(attempt.url.href);
    expect(await heading()).toBe('Create account');
    await page.fill('#name', 'Ada Lovelace');
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', 'password123');
    await page.click('button[type=submit]:has-text("Create account")');
    expect(await page.locator('#password-strength').innerText()).toContain('Very weak');
    await expectAccessible(page, 'create account (refused password)');
    await page.fill('#password', 'velvet harbour pickle season');
    await page.click('button[type=submit]:has-text("Create account")');
    expect(await heading()).toBe('Enter code');
    await expectAccessible(page, 'enter code');
    const code = /\b\d{6}\b/.exec((await app.container.delivery.outbox!.read()).filter((m) => m.to === 'ada@example.com').at(-1)!.text)![0];
    await page.fill('#code', code);
    await page.click('button[type=submit]:has-text("Continue")');
    expect(await heading()).toBe('This email address is already in use');
    await expectAccessible(page, 'already in use');

    await page.click('a:has-text("Forgot password")');
    expect(await heading()).toBe('Forgot password');
    await expectAccessible(page, 'forgot password');
    await page.fill('#email', 'ada@example.com');
    await page.click('button[type=submit]:has-text("Send link")');
    expect(await heading()).toBe('Check your inbox');
    await expectAccessible(page, 'check your inbox');
    const link = /http:\/\/\S+\/password\/reset\?token=\S+/.exec((await app.container.delivery.outbox!.read()).filter((m) => m.to === 'ada@example.com').at(-1)!.text)![0];
    await page.goto(link);
    expect(await heading()).toBe('Choose a new password');
    await expectAccessible(page, 'choose a new password');
    await page.fill('#password', TEST_PASSWORD);
    await page.click('button[type=submit]:has-text("Change password")');
    expect(await heading()).toBe('Password changed');
    await expectAccessible(page, 'password changed');
    // Used: the form still opens (nothing is used up by opening), but the password is refused.
    await page.goto(link);
    await page.fill('#password', 'another good passphrase here');
    await page.click('button[type=submit]:has-text("Change password")');
    expect(await heading()).toBe('This link has expired');
    await expectAccessible(page, 'reset link used');
  }, 60_000);

  test('protocol error page (unregistered redirect_uri)', async () => {
    const attempt = await authorizationRequest(config, 'openid', { redirect_uri: `${app.url}/not/registered` });
    await page.goto(attempt.url.href);
    expect(await heading()).toBe("This app's return address is not registered");
    await expectAccessible(page, 'error');
  }, 60_000);
});
