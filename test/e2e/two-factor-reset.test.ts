import * as oidc from 'openid-client';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import type { Account } from '../../src/store/ports.js';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { addVirtualAuthenticator, collectBrowserErrors, launchChromium } from '../support/chromium.js';
import { latestCode, latestMessage } from '../support/console.js';
import { authorizationRequest, discover, idTokenClaims, REDIRECT_URI, registerWebClient } from '../support/rp.js';

/**
 * A person who lost their security key, in Chromium with real pages clicked and filled:
 * signs in at an app, cannot answer the security-key step, uses the backup email, asks for
 * the 2FA reset email, opens its link on a new device (a new virtual authenticator), enters
 * the password again, registers a new security key, saves the new recovery codes and lands on
 * the console. Afterwards the new key signs in and the old key's credential is refused.
 *
 * The issuer is http://localhost:PORT (WebAuthn refuses IP addresses as RP IDs); the RP's
 * callback is answered by the test (context.route). Screenshots go to /tmp (not committed).
 *
 * Needs Chromium: Debian's package `chromium` (/usr/bin/chromium), or CHROMIUM_PATH.
 */
const TWO_FA = 'urn:latchkey:acr:2fa';
const PHR = 'phr';
const EMAIL = 'lost-key@example.com';
const BACKUP = 'lost-key-backup@example.org';

interface Tab {
  context: BrowserContext;
  page: Page;
  cdp?: CDPSession;
  authenticatorId?: string;
}

describe('lost security key: reset 2FA with the backup email, a new key on a new device (Chromium)', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  let account: Account;
  let browser: Browser;
  const tabs: Tab[] = [];
  const browserErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    app = await startTestApp({ hostname: 'localhost' });
    account = await createUser(app, EMAIL);
    config = await discover(app, await registerWebClient(app));
  }, 30_000);

  afterAll(async () => {
    for (const tab of tabs.splice(0)) await tab.context.close();
    await browser?.close();
    await app?.close();
  });

  /** A new browser profile; with `authenticator`, a virtual one holding `credentials` (a person's device). */
  async function openTab(authenticator: boolean, credentials: Credential[] = []): Promise<Tab> {
    const context = await browser.newContext();
    await context.route(`${new URL(REDIRECT_URI).origin}/**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html lang="en"><title>RP</title><h1>Back at the RP</h1></html>' }),
    );
    const page = await context.newPage();
    collectBrowserErrors(page, browserErrors);
    const tab: Tab = { context, page };
    if (authenticator) {
      Object.assign(tab, await addVirtualAuthenticator(context, page));
      for (const credential of credentials) await tab.cdp!.send('WebAuthn.addCredential', { authenticatorId: tab.authenticatorId!, credential });
    }
    tabs.push(tab);
    return tab;
  }

  type Credential = Awaited<ReturnType<typeof credentialsOf>>[number];
  async function credentialsOf(tab: Tab) {
    return (await tab.cdp!.send('WebAuthn.getCredentials', { authenticatorId: tab.authenticatorId! })).credentials;
  }
  const presence = (tab: Tab, enabled: boolean) => tab.cdp!.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: tab.authenticatorId!, enabled });
  const heading = (page: Page) => page.locator('h1').innerText();
  const waitForHeading = (page: Page, text: string) => page.locator('h1', { hasText: text }).waitFor();
  const idOf = (credential: Credential) => Buffer.from(credential.credentialId, 'base64').toString('base64url');
  const webauthnFactors = async () => (await app.container.stores.factors.listForAccount(account.id)).filter((f) => f.kind === 'webauthn');

  async function returnToRp(page: Page): Promise<URL> {
    await page.locator('h1').filter({ hasText: /^(Allow access|Back at the RP)$/ }).waitFor();
    if ((await heading(page)) === 'Allow access') {
      await page.click('button:text-is("Allow")');
      await waitForHeading(page, 'Back at the RP');
    }
    return new URL(page.url());
  }

  /** The login page with the autofill passkey offer left unanswered, then the password. */
  async function signInWithPassword(tab: Tab, url: URL) {
    if (tab.cdp) await presence(tab, false);
    await tab.page.goto(url.href);
    expect(await heading(tab.page)).toBe('Sign in');
    await tab.page.fill('#email', EMAIL);
    await tab.page.fill('#password', TEST_PASSWORD);
    await tab.page.click('button:text-is("Sign in")');
  }

  test('the whole journey, then only the new key signs in', async () => {
    // 0. The old device: a security key set up when the app asked for 2FA; a backup email.
    const old = await openTab(true);
    const first = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    await old.page.goto(first.url.href);
    await old.page.fill('#email', EMAIL);
    await old.page.fill('#password', TEST_PASSWORD);
    await old.page.click('button:text-is("Sign in")');
    await waitForHeading(old.page, 'Protect your account');
    await old.page.click('button:has-text("Security key or biometrics")');
    await waitForHeading(old.page, 'Set up: Security key or biometrics');
    await old.page.fill('#webauthn-label', 'Old key');
    await old.page.click('button:has-text("Set up security key or biometrics")');
    await waitForHeading(old.page, 'Save your recovery key and backup codes');
    await old.page.check('input[name="saved"]');
    await old.page.click('button:has-text("Enable Two Factor")');
    expect((await idTokenClaims(config, first, await returnToRp(old.page))).acr).toBe(PHR);
    const [oldCredential] = await credentialsOf(old);
    const [oldFactor] = await webauthnFactors();
    expect(idOf(oldCredential!)).toBe(oldFactor!.data.credentialId);
    await app.container.stores.backupMethods.set({ accountId: account.id, kind: 'email', destination: BACKUP, channel: null, verifiedAt: Date.now() });

    // 1. The key is lost: another browser, no authenticator. Password, then the security-key step.
    const lost = await openTab(false);
    await signInWithPassword(lost, (await authorizationRequest(config, 'openid')).url);
    await waitForHeading(lost.page, 'Two-factor authentication');
    expect(await lost.page.locator('button:has-text("Use your security key or biometrics")').count()).toBe(1);
    await lost.page.click('text=Authenticate a different way');
    await waitForHeading(lost.page, 'Authenticate a different way');
    await lost.page.click('text=Use backup method');
    await waitForHeading(lost.page, 'Use backup method');
    expect(await lost.page.locator('main').innerText()).toContain('We sent a 6-digit code to your backup method');
    await lost.page.fill('#code', await latestCode(app, BACKUP));
    await lost.page.click('button:text-is("Verify")');
    await waitForHeading(lost.page, 'You have verified your identity');
    await lost.page.screenshot({ path: '/tmp/latchkey-reset-verified.png', fullPage: true });
    await lost.page.click('text=Remove the device and add new one');
    await waitForHeading(lost.page, 'Set up 2-factor authentication again');
    await lost.page.click('text=Send 2-factor authentication email');
    await waitForHeading(lost.page, 'Check your email');

    const mail = await latestMessage(app, EMAIL);
    expect(mail.subject).toBe('Set up 2-factor authentication again');
    const link = mail.text.match(/http:\/\/\S+\/reset-2fa\/\S+/)![0];
    expect(link.startsWith(`${app.issuer}/reset-2fa/`)).toBe(true);

    // 2. A new device: a new profile with a new authenticator opens the link; the password again.
    const fresh = await openTab(true);
    await fresh.page.goto(link);
    await waitForHeading(fresh.page, 'Set up 2-factor authentication again');
    expect(await fresh.page.inputValue('#email')).toBe(EMAIL);
    expect(await fresh.page.locator('#email').getAttribute('readonly')).not.toBeNull();
    await fresh.page.screenshot({ path: '/tmp/latchkey-reset-password.png', fullPage: true });
    await fresh.page.fill('#password', TEST_PASSWORD);
    await fresh.page.click('button:text-is("Continue")');
    await fresh.page.locator('button:has-text("Security key or biometrics")').waitFor();
    expect(await heading(fresh.page)).toBe('Set up 2-factor authentication again');
    for (const method of ['Authenticator app', 'Security key or biometrics', 'Text message or phone call', 'Email code']) {
      expect(await fresh.page.locator('button.choice', { hasText: method }).count()).toBe(1);
    }
    await fresh.page.click('button:has-text("Security key or biometrics")');
    await waitForHeading(fresh.page, 'Set up: Security key or biometrics');
    await fresh.page.fill('#webauthn-label', 'New key');
    await fresh.page.click('button:has-text("Set up security key or biometrics")');
    await waitForHeading(fresh.page, 'Save your recovery key and backup codes');
    await fresh.page.check('text=I have saved my recovery key and backup codes');
    await fresh.page.click('button:has-text("Enable Two Factor")');
    await fresh.page.waitForURL(/\/account\/security$/);

    // 3. The console lists exactly one security key: the new one.
    const listed = await fresh.page.locator('ul.factors > li').allInnerTexts();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toContain('New key');
    const newCredentials = await credentialsOf(fresh);
    expect(newCredentials).toHaveLength(1);
    const factors = await webauthnFactors();
    expect(factors).toHaveLength(1);
    expect(factors[0]!.data.credentialId).toBe(idOf(newCredentials[0]!));
    expect(factors[0]!.data.credentialId).not.toBe(oldFactor!.data.credentialId);

    // 4. A fresh sign-in at the app with the new authenticator (another profile, the same key).
    const later = await openTab(true, newCredentials);
    const attempt = await authorizationRequest(config, 'openid');
    await signInWithPassword(later, attempt.url);
    await waitForHeading(later.page, 'Two-factor authentication');
    await presence(later, true);
    await later.page.click('button:has-text("Use your security key or biometrics")');
    expect(await idTokenClaims(config, attempt, await returnToRp(later.page))).toMatchObject({ sub: account.id, acr: PHR });

    // 5. The old authenticator (in the old profile, whose session the reset ended) is refused.
    const again = await authorizationRequest(config, 'openid');
    await presence(old, false);
    await old.page.goto(again.url.href);
    expect(await heading(old.page)).toBe('Sign in');
    await old.page.locator('button:has-text("Sign in with a passkey"):enabled').waitFor();
    // Its answer goes to the server; the refusal page's autofill offer is left unanswered.
    await old.page.route('**/interaction/*/passkey', async (route) => {
      if (route.request().method() === 'POST') await presence(old, false);
      await route.continue();
    });
    await presence(old, true);
    const answered = old.page.waitForResponse((r) => r.request().method() === 'POST' && /\/passkey$/.test(r.url()));
    await old.page.click('button:has-text("Sign in with a passkey")');
    expect((await answered).status()).toBe(400);
    await old.page.locator('p.alert[role=alert]:not([data-webauthn-error])').waitFor();
    expect(await heading(old.page)).toBe('Sign in');
    expect(old.page.url().startsWith(REDIRECT_URI)).toBe(false);
    expect(await webauthnFactors()).toHaveLength(1);

    expect(browserErrors).toEqual([]);
  }, 60_000);
});
