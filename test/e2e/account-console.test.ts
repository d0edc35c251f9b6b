import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { addVirtualAuthenticator, collectBrowserErrors, expectAccessible, launchChromium } from '../support/chromium.js';
import { totpCode } from '../support/totp.js';

/**
 * The account console's pages in a real browser under the app's CSP (the QR code is a
 * data: image), each checked by axe-core in the light and the dark colour scheme, as
 * test/e2e/accessibility.test.ts does for the sign-in pages. The issuer is http://localhost:PORT
 * (a secure context whose name can be a WebAuthn RP ID) and the browser has a virtual
 * authenticator, so a security key is set up for real.
 */
describe('the account console in Chromium: accessible, light and dark, nothing blocked by the CSP', () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    app = await startTestApp({ hostname: 'localhost' });
    await createUser(app);
    context = await browser.newContext();
    page = await context.newPage();
    await addVirtualAuthenticator(context, page, { transport: 'usb' });
    collectBrowserErrors(page, browserErrors);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => expect(browserErrors.splice(0)).toEqual([]));

  const heading = () => page.locator('h1').innerText();

  test('sign in, profile, security, add an authenticator app and a security key, rename, remove, and the re-authentication page', async () => {
    await page.goto(`${app.url}/account`);
    expect(await heading()).toBe('Sign in');
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', TEST_PASSWORD);
    await page.click('button[type=submit]:has-text("Sign in")');
    expect(await heading()).toBe('Your account');
    await expectAccessible(page, 'profile');

    await page.click('nav a:has-text("Security")');
    expect(await heading()).toBe('Protect your account');
    await expectAccessible(page, 'security, no factor');

    await page.click('a:has-text("Add a method")');
    expect(await heading()).toBe('Add a sign-in method');
    await expectAccessible(page, 'add a method');

    for (const [kind, title] of [['phone', 'Set up: Text message or phone call'], ['email', 'Set up: Email code']]) {
      await page.goto(`${app.url}/account/security/add/${kind}`);
      expect(await heading()).toBe(title);
      await expectAccessible(page, `begin ${kind}`);
    }

    await page.goto(`${app.url}/account/security/add/totp`);
    await expectAccessible(page, 'begin totp');
    await page.click('button:has-text("Continue")');
    expect(await heading()).toBe('Set up: Authenticator app');
    // The data: image loads under the CSP (img-src 'self' data:).
    expect(await page.evaluate("document.querySelector('img.qr').complete && document.querySelector('img.qr').naturalWidth")).toBeGreaterThan(100);
    await page.click('summary');
    await expectAccessible(page, 'confirm totp');
    const secret = (await page.locator('code.secret').innerText()).replace(/ /g, '');
    await page.fill('#code', '000000' === totpCode(secret, Date.now()) ? '111111' : '000000');
    await page.click('button:has-text("Turn on")');
    await expectAccessible(page, 'confirm totp, wrong code');
    await page.fill('#code', totpCode(secret, Date.now()));
    await page.click('button:has-text("Turn on")');
    // The first factor: the recovery key and backup codes, shown once.
    expect(await heading()).toBe('Save your recovery key and backup codes');
    await expectAccessible(page, 'recovery codes');
    await page.check('input[name="saved"]');
    await page.click('button:has-text("Done")');
    expect(await heading()).toBe('Protect your account');
    await expectAccessible(page, 'security, one factor');

    await page.goto(`${app.url}/account/security/add/webauthn`);
    await expectAccessible(page, 'begin security key');
    await page.click('button:has-text("Continue")');
    await expectAccessible(page, 'confirm security key');
    await page.fill('#webauthn-label', 'Desk key');
    await page.click('button:has-text("Set up security key or biometrics"):not([disabled])');
    await page.waitForURL(`${app.url}/account/security?done=added`);
    expect(await page.locator('.factors').innerText()).toContain('Desk key');
    await page.goto(`${app.url}/account/security`);

    await page.click('a:has-text("Rename"):near(strong:has-text("Authenticator app"))');
    expect(await heading()).toBe('Rename a sign-in method');
    await page.fill('#label', '');
    await page.click('button:has-text("Save")');
    await expectAccessible(page, 'rename, refused');

    await page.goto(`${app.url}/account/security`);
    await page.click('a:has-text("Remove")');
    expect(await heading()).toBe('Remove Authenticator app?');
    await expectAccessible(page, 'remove');

    // The session is gone (e.g. expired) when the form is sent: the re-authentication page.
    await context.clearCookies({ name: 'lk.console' });
    await page.click('button:has-text("Remove")');
    expect(await heading()).toBe('Sign in again to continue');
    await expectAccessible(page, 'sign in again');
  }, 90_000);
});
