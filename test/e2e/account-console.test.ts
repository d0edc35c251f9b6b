import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { totpCode } from '../support/totp.js';

/**
 * The account console's pages in a real browser under the app's CSP (the QR code is a
 * data: image), each checked by axe-core in the light and the dark colour scheme, as
 * test/e2e/accessibility.test.ts does for the sign-in pages. The issuer is http://localhost:PORT
 * (a secure context whose name can be a WebAuthn RP ID) and the browser has a virtual
 * authenticator, so a security key is set up for real.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'];
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

describe('the account console in Chromium: accessible, light and dark, nothing blocked by the CSP', () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: install the Debian package "chromium" or set CHROMIUM_PATH.`);
    app = await startTestApp({ hostname: 'localhost' });
    await createUser(app);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_FLAGS });
    context = await browser.newContext();
    page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) browserErrors.push(message.text());
    });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => expect(browserErrors.splice(0)).toEqual([]));

  async function expectAccessible(label: string) {
    await page.evaluate(AXE_SOURCE);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const violations = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations)")) as Violation[];
      const readable = violations.map((v) => ({ rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`) }));
      expect({ page: label, colorScheme, violations: readable }).toEqual({ page: label, colorScheme, violations: [] });
    }
  }

  const heading = () => page.locator('h1').innerText();

  test('sign in, profile, security, add an authenticator app and a security key, rename, remove, and the re-authentication page', async () => {
    await page.goto(`${app.url}/account`);
    expect(await heading()).toBe('Sign in');
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', TEST_PASSWORD);
    await page.click('button[type=submit]:has-text("Sign in")');
    expect(await heading()).toBe('Your account');
    await expectAccessible('profile');

    await page.click('nav a:has-text("Security")');
    expect(await heading()).toBe('Protect your account');
    await expectAccessible('security, no factor');

    await page.click('a:has-text("Add a method")');
    expect(await heading()).toBe('Add a sign-in method');
    await expectAccessible('add a method');

    for (const [kind, title] of [['phone', 'Set up: Text message or phone call'], ['email', 'Set up: Email code']]) {
      await page.goto(`${app.url}/account/security/add/${kind}`);
      expect(await heading()).toBe(title);
      await expectAccessible(`begin ${kind}`);
    }

    await page.goto(`${app.url}/account/security/add/totp`);
    await expectAccessible('begin totp');
    await page.click('button:has-text("Continue")');
    expect(await heading()).toBe('Set up: Authenticator app');
    // The data: image loads under the CSP (img-src 'self' data:).
    expect(await page.evaluate("document.querySelector('img.qr').complete && document.querySelector('img.qr').naturalWidth")).toBeGreaterThan(100);
    await page.click('summary');
    await expectAccessible('confirm totp');
    const secret = (await page.locator('code.secret').innerText()).replace(/ /g, '');
    await page.fill('#code', '000000' === totpCode(secret, Date.now()) ? '111111' : '000000');
    await page.click('button:has-text("Turn on")');
    await expectAccessible('confirm totp, wrong code');
    await page.fill('#code', totpCode(secret, Date.now()));
    await page.click('button:has-text("Turn on")');
    expect(await heading()).toBe('Protect your account');
    await expectAccessible('security, one factor');

    await page.goto(`${app.url}/account/security/add/webauthn`);
    await expectAccessible('begin security key');
    await page.click('button:has-text("Continue")');
    await expectAccessible('confirm security key');
    await page.fill('#webauthn-label', 'Desk key');
    await page.click('button:has-text("Set up security key or biometrics"):not([disabled])');
    await page.waitForURL(`${app.url}/account/security?done=added`);
    expect(await page.locator('.factors').innerText()).toContain('Desk key');
    await page.goto(`${app.url}/account/security`);

    await page.click('a:has-text("Rename"):near(strong:has-text("Authenticator app"))');
    expect(await heading()).toBe('Rename a sign-in method');
    await page.fill('#label', '');
    await page.click('button:has-text("Save")');
    await expectAccessible('rename, refused');

    await page.goto(`${app.url}/account/security`);
    await page.click('a:has-text("Remove")');
    expect(await heading()).toBe('Remove Authenticator app?');
    await expectAccessible('remove');

    // The session is gone (e.g. expired) when the form is sent: the re-authentication page.
    await context.clearCookies({ name: 'lk.console' });
    await page.click('button:has-text("Remove")');
    expect(await heading()).toBe('Sign in again to continue');
    await expectAccessible('sign in again');
  }, 90_000);
});
