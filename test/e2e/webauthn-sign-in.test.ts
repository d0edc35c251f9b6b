import * as oidc from 'openid-client';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import type { Account } from '../../src/store/ports.js';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { addVirtualAuthenticator, collectBrowserErrors, expectAccessible, launchChromium } from '../support/chromium.js';
import { lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, idTokenClaims, REDIRECT_URI, registerWebClient, type AuthorizationAttempt } from '../support/rp.js';

/**
 * Security keys and passkeys through the REAL sign-in pages (login, "Protect your account",
 * enrolment, the factor step) in Chromium, with a virtual authenticator (DevTools protocol:
 * CTAP2, internal transport, resident keys, user verification), from openid-client's
 * authorization request to its token exchange.
 *
 * WebAuthn refuses IP addresses as RP IDs and the RP ID is the issuer's host name, so the app
 * runs with the issuer http://localhost:PORT (a secure context, like https); Chromium maps no
 * name but loopback. The RP's redirect_uri (https://rp.example/callback) is answered by the
 * test itself (context.route), so the browser never leaves the machine.
 *
 * The login page offers the passkeys in the email field's autofill (conditional mediation),
 * and a virtual authenticator that simulates presence picks the one passkey at once, as if the
 * person chose it from the list. Where a test needs the password form, or the button, it turns
 * presence simulation off while the page loads.
 *
 * Needs Chromium: Debian's package `chromium` (/usr/bin/chromium), or CHROMIUM_PATH.
 */
const TWO_FA = 'urn:latchkey:acr:2fa';
const PHR = 'phr';
const EMAIL = 'ada@example.com';

/** A virtual authenticator's credentials, private keys included (WebAuthn.getCredentials). */
async function credentialsOf(tab: Tab) {
  return (await tab.cdp.send('WebAuthn.getCredentials', { authenticatorId: tab.authenticatorId })).credentials;
}
type Credentials = Awaited<ReturnType<typeof credentialsOf>>;

/** One browser profile with its own authenticator (a person's device), on one page. */
interface Tab {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

describe('signing in with a security key or a passkey, real pages in Chromium (virtual authenticator)', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  let account: Account;
  let browser: Browser;
  const tabs: Tab[] = [];
  /** The authenticator's credentials (private keys included), carried from one profile to the next. */
  let wallet: Credentials = [];
  /** CSP violations and script errors the browser reported. */
  const browserErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    app = await startTestApp({ hostname: 'localhost' });
    expect(app.issuer).toMatch(/^http:\/\/localhost:\d+$/);
    account = await createUser(app, EMAIL);
    config = await discover(app, await registerWebClient(app));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(async () => {
    for (const tab of tabs.splice(0)) await tab.context.close();
    expect(browserErrors.splice(0)).toEqual([]);
  });

  /** A new browser profile with a virtual authenticator holding `credentials`. */
  async function openTab(credentials: Credentials = []): Promise<Tab> {
    const context = await browser.newContext();
    // The relying party's callback: answered here, so that the browser stops there with the code in its URL.
    await context.route(`${new URL(REDIRECT_URI).origin}/**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html lang="en"><title>RP</title><h1>Back at the RP</h1></html>' }),
    );
    const page = await context.newPage();
    collectBrowserErrors(page, browserErrors);
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);
    for (const credential of credentials) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
    const tab = { context, page, cdp, authenticatorId };
    tabs.push(tab);
    return tab;
  }

  /** Whether the authenticator answers by itself (a person touching the key, confirming with a fingerprint). */
  const presence = (tab: Tab, enabled: boolean) => tab.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: tab.authenticatorId, enabled });

  const heading = (page: Page) => page.locator('h1').innerText();
  const waitForHeading = (page: Page, text: string) => page.locator('h1', { hasText: text }).waitFor();

  /** Waits until the browser is at the RP's callback, agreeing on the consent page if it comes first. */
  async function returnToRp(page: Page): Promise<URL> {
    await page.locator('h1').filter({ hasText: /^(Allow access|Back at the RP)$/ }).waitFor();
    if ((await heading(page)) === 'Allow access') {
      await page.getByRole('button', { name: 'Allow', exact: true }).click();
      await waitForHeading(page, 'Back at the RP');
    }
    const callback = new URL(page.url());
    expect(callback.href.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    return callback;
  }

  /** The login page's password form; the passkey form is also a "Sign in…" button. */
  async function submitPassword(page: Page) {
    await page.fill('#email', EMAIL);
    await page.fill('#password', TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /**
   * The login page with the passkey button ready, the autofill passkey offer left unanswered
   * (presence simulation off while it starts; turned on again, the pending autofill request
   * stays pending, so what answers next is the button's own ceremony).
   */
  async function openLoginPage(tab: Tab, attempt: AuthorizationAttempt) {
    await presence(tab, false);
    await tab.page.goto(attempt.url.href);
    expect(await heading(tab.page)).toBe('Sign in');
    await tab.page.locator('button:has-text("Sign in with a passkey"):enabled').waitFor();
  }

  const webauthnFactor = async () => (await app.container.stores.factors.listForAccount(account.id)).find((f) => f.kind === 'webauthn');

  test('a security key as second factor: set up when 2FA is asked for, then answered after the password (acr phr)', async () => {
    // 1. The RP asks for 2FA; the account has no factor yet: password, "Protect your account", set up a security key.
    const first = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const tab = await openTab();
    await tab.page.goto(first.url.href);
    expect(await heading(tab.page)).toBe('Sign in');
    await submitPassword(tab.page);

    await waitForHeading(tab.page, 'Protect your account');
    await expectAccessible(tab.page, 'enrol-choose');
    await tab.page.getByRole('button', { name: /^Security key or biometrics/ }).click();

    await waitForHeading(tab.page, 'Set up: Security key or biometrics');
    await expectAccessible(tab.page, 'enrol webauthn');
    await tab.page.fill('#webauthn-label', 'Laptop');
    await tab.page.click('button:has-text("Set up security key or biometrics")');
    // 2FA is now on: the recovery key and backup codes, shown once, must be acknowledged.
    await waitForHeading(tab.page, 'Save your recovery key and backup codes');
    await expectAccessible(tab.page, 'recovery codes');
    await tab.page.check('input[name="saved"]');
    await tab.page.click('button:has-text("Enable Two Factor")');
    const firstClaims = await idTokenClaims(config, first, await returnToRp(tab.page));
    // Password + a user-verified WebAuthn credential: phishing-resistant, more than the 2FA asked for.
    expect(firstClaims).toMatchObject({ sub: account.id, acr: PHR, amr: ['pwd', 'hwk', 'user', 'mfa'] });

    const factor = (await webauthnFactor())!;
    expect(factor).toMatchObject({ kind: 'webauthn', label: 'Laptop' });
    expect((await lastOutboxMessage(app, EMAIL)).subject).toMatch(/added|new/i);
    wallet = await credentialsOf(tab);
    expect(wallet).toHaveLength(1);
    expect(wallet[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(wallet[0]!.credentialId, 'base64').toString('base64url')).toBe(factor.data.credentialId);

    // 2. Another browser, the same authenticator; no acr_values: 2FA on means the key is always asked.
    const second = await authorizationRequest(config, 'openid');
    const next = await openTab(wallet);
    await presence(next, false);
    await next.page.goto(second.url.href);
    expect(await heading(next.page)).toBe('Sign in');
    await submitPassword(next.page);
    await waitForHeading(next.page, 'Two-factor authentication');
    expect(await next.page.locator('main, body').first().innerText()).toContain('Use Laptop:');
    await expectAccessible(next.page, 'factor webauthn');
    await presence(next, true);
    await next.page.click('button:has-text("Use your security key or biometrics")');
    const secondClaims = await idTokenClaims(config, second, await returnToRp(next.page));
    expect(secondClaims).toMatchObject({ sub: account.id, acr: PHR, amr: ['pwd', 'hwk', 'user', 'mfa'] });

    const after = (await webauthnFactor())!;
    expect(after.counter).toBeGreaterThan(factor.counter);
    expect(after.lastUsedAt).not.toBeNull();
    wallet = await credentialsOf(next);
  }, 90_000);

  test('passwordless: "Sign in with a passkey" on the login page signs in without the password (acr phr, amr user)', async () => {
    expect(wallet).toHaveLength(1);
    const before = (await webauthnFactor())!;
    const attempt = await authorizationRequest(config, 'openid');
    const tab = await openTab(wallet);
    await openLoginPage(tab, attempt);
    await expectAccessible(tab.page, 'login with passkey');
    await presence(tab, true);
    const posted = tab.page.waitForRequest((r) => r.method() === 'POST' && /\/interaction\/[^/]+\/passkey$/.test(r.url()));
    await tab.page.click('button:has-text("Sign in with a passkey")');
    expect(new URLSearchParams((await posted).postData() ?? '').get('credential')).toContain('"userHandle"');
    const claims = await idTokenClaims(config, attempt, await returnToRp(tab.page));
    expect(claims).toMatchObject({ sub: account.id, acr: PHR });
    expect(claims.amr).toEqual(expect.arrayContaining(['hwk', 'user', 'mfa']));
    expect(claims.amr).not.toContain('pwd');
    expect((await webauthnFactor())!.counter).toBeGreaterThan(before.counter);
    wallet = await credentialsOf(tab);
  }, 60_000);

  test('a tampered assertion is refused on the login page, no session is made, and the next answer works', async () => {
    const before = (await webauthnFactor())!;
    const attempt = await authorizationRequest(config, 'openid');
    const tab = await openTab(wallet);
    let tampered = 0;
    // One byte of the signature flipped on its way to the server, everything else as the authenticator made it.
    await tab.page.route('**/interaction/*/passkey', async (route) => {
      const request = route.request();
      if (request.method() !== 'POST') return route.continue();
      const form = new URLSearchParams(request.postData() ?? '');
      const credential = JSON.parse(form.get('credential')!) as { response: { signature: string } };
      const signature = Buffer.from(credential.response.signature, 'base64url');
      signature[signature.length - 1]! ^= 0x01;
      credential.response.signature = signature.toString('base64url');
      form.set('credential', JSON.stringify(credential));
      tampered++;
      // The refusal page offers the passkey in the autofill again: left unanswered, or the authenticator would loop.
      await presence(tab, false);
      await route.continue({ postData: form.toString() });
    });
    await openLoginPage(tab, attempt);
    await presence(tab, true);
    const answered = tab.page.waitForResponse((r) => r.request().method() === 'POST' && /\/passkey$/.test(r.url()));
    await tab.page.click('button:has-text("Sign in with a passkey")');
    expect((await answered).status()).toBe(400);
    await tab.page.locator('p.alert[role=alert]:not([data-webauthn-error])').waitFor();
    expect(tampered).toBe(1);
    expect(await heading(tab.page)).toBe('Sign in');
    expect(await tab.page.locator('p.alert[role=alert]:not([data-webauthn-error])').innerText()).toContain('could not be verified');
    await expectAccessible(tab.page, 'login, passkey refused');
    // Nothing was consumed: the sign count stays where it was.
    expect((await webauthnFactor())!.counter).toBe(before.counter);

    // No session: a new authorization in this browser shows the sign-in page again.
    await tab.page.unroute('**/interaction/*/passkey');
    const again = await authorizationRequest(config, 'openid');
    await openLoginPage(tab, again);
    expect(await tab.page.locator('#password').isVisible()).toBe(true);

    // The untouched answer to the page's new challenge signs in.
    await presence(tab, true);
    await tab.page.click('button:has-text("Sign in with a passkey")');
    const claims = await idTokenClaims(config, again, await returnToRp(tab.page));
    expect(claims).toMatchObject({ sub: account.id, acr: PHR });
  }, 60_000);
});
