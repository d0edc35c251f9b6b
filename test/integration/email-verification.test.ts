import * as oidc from 'openid-client';
import { createUser, startTestApp, TEST_PASSWORD, TestClock, type TestApp } from '../support/app.js';
import type { Browser as BrowserType, Page } from '../support/browser.js';
import { Browser } from '../support/browser.js';
import { openSignIn, returnToApp, submitCode, submitPassword, type Landing } from '../support/flow.js';
import { codeIn, lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, registerWebClient, type AuthorizationAttempt } from '../support/rp.js';
import { formFor } from '../support/sign-up.js';
import { totpCode } from '../support/totp.js';

const ONE_FA = 'urn:latchkey:acr:1fa';
const TWO_FA = 'urn:latchkey:acr:2fa';
const HEADING = '<h1>Confirm your email address</h1>';

/** On "Confirm your email address": the code ("Enter code"). */
async function submitVerifyCode(browser: BrowserType, page: Page, code: string): Promise<Landing> {
  const { action, csrf } = formFor(page, '/verify-email', 'verify');
  return browser.submit(action, { _csrf: csrf, action: 'verify', code });
}

/** On "Confirm your email address": "Resend code". */
async function resendVerifyCode(browser: BrowserType, page: Page): Promise<Landing> {
  const { action, csrf } = formFor(page, '/verify-email', 'resend');
  return browser.submit(action, { _csrf: csrf, action: 'resend' });
}

const wrong = (code: string) => (code === '000000' ? '111111' : '000000');

describe('the first sign-in of an account whose email address is not verified, over HTTP', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  const clock = new TestClock();

  beforeAll(async () => {
    app = await startTestApp({ clock });
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(() => app.close());

  async function tokensFor(attempt: AuthorizationAttempt, callback: URL) {
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: attempt.verifier,
      expectedNonce: attempt.nonce,
      expectedState: attempt.state,
    });
    return tokens.claims()!;
  }

  /** An account as `users create` without --verified makes it (the CLI's account service). */
  const createUnverified = (email: string) => app.container.accounts.create({ email, password: TEST_PASSWORD, name: 'Ada Lovelace', emailVerified: false });

  /** Password signed in, on "Confirm your email address"; with the code from the outbox. */
  async function atVerifyStep(email: string, extra: Record<string, string> = {}) {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid email', extra);
    const page = await submitPassword(browser, await openSignIn(browser, attempt.url), email);
    expect(page.status).toBe(200);
    expect(page.text).toContain(HEADING);
    return { browser, attempt, page, code: codeIn(await lastOutboxMessage(app, email)) };
  }

  test('password, then the code from the inbox: the account is verified and the ID token says email_verified true (1fa)', async () => {
    const account = await createUnverified('unverified@example.com');
    expect(account.emailVerified).toBe(false);
    const { browser, attempt, page, code } = await atVerifyStep('unverified@example.com');
    expect(page.text).toContain('We sent a 6-digit code to <strong>unverified@example.com</strong>');
    expect(page.text).toContain('Enter code');
    expect(page.text).toContain('Resend code');
    expect(page.text).toContain('autocomplete="one-time-code"');
    const mail = await lastOutboxMessage(app, 'unverified@example.com');
    expect(mail.text).toContain('confirm the email address of your Latchkey account');
    // A reload shows the page again without sending another code.
    const reloaded = await browser.follow(page.url);
    expect(reloaded.text).toContain(HEADING);
    expect(codeIn(await lastOutboxMessage(app, 'unverified@example.com'))).toBe(code);
    expect((await app.container.stores.accounts.findById(account.id))?.emailVerified).toBe(false);

    const claims = await tokensFor(attempt, await returnToApp(browser, await submitVerifyCode(browser, reloaded, code)));
    expect((await app.container.stores.accounts.findById(account.id))?.emailVerified).toBe(true);
    // The code is not a factor: still the password alone.
    expect(claims).toMatchObject({ sub: account.id, email: 'unverified@example.com', email_verified: true, amr: ['pwd'], acr: ONE_FA });

    // The next sign-in goes straight to the app.
    const next = new Browser(app.url);
    const again = await authorizationRequest(config, 'openid email');
    const landing = await submitPassword(next, await openSignIn(next, again.url), 'unverified@example.com');
    expect(landing.text ?? '').not.toContain(HEADING);
    expect((await tokensFor(again, await returnToApp(next, landing))).email_verified).toBe(true);
  });

  test('"Resend code": a new code, and the old one no longer works', async () => {
    const account = await createUnverified('resend-verify@example.com');
    const { browser, page, code: first } = await atVerifyStep('resend-verify@example.com');
    const resent = await resendVerifyCode(browser, page);
    expect(resent.status).toBe(200);
    expect(resent.text).toContain('We sent a new code to <strong>resend-verify@example.com</strong>');
    expect(resent.text).toContain('The previous code no longer works.');
    const second = codeIn(await lastOutboxMessage(app, 'resend-verify@example.com'));
    // Two random codes are equal once in a million: the old one is then the new one.
    if (second !== first) {
      const refused = await submitVerifyCode(browser, resent, first);
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('That code is not right or has expired');
      expect((await app.container.stores.accounts.findById(account.id))?.emailVerified).toBe(false);
    }
    const done = await submitVerifyCode(browser, resent, second);
    expect(done.location ?? done.text).toMatch(/\/auth\/|Allow access/);
    expect((await app.container.stores.accounts.findById(account.id))?.emailVerified).toBe(true);
  });

  test('an expired code is refused', async () => {
    const account = await createUnverified('slow-verify@example.com');
    const { browser, page, code } = await atVerifyStep('slow-verify@example.com');
    clock.advance(10 * 60_000 + 1_000);
    const refused = await submitVerifyCode(browser, page, code);
    expect(refused.status).toBe(400);
    expect((await app.container.stores.accounts.findById(account.id))?.emailVerified).toBe(false);
  });

  test('wrong codes: 5 free, then a wait, counted per account across sign-ins; even the right code waits', async () => {
    const account = await createUnverified('guessed-verify@example.com');
    const first = await atVerifyStep('guessed-verify@example.com');
    const second = await atVerifyStep('guessed-verify@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { browser, page, code } = i % 2 === 0 ? first : second;
      statuses.push((await submitVerifyCode(browser, page, wrong(code))).status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
    const blocked = await submitVerifyCode(second.browser, second.page, second.code);
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('Too many wrong codes');
    expect((await app.container.stores.accounts.findById(account.id))?.emailVerified).toBe(false);
  });

  test('a verified account never sees the step, and no code is sent', async () => {
    const account = await createUser(app, 'verified@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid email');
    const landing = await submitPassword(browser, await openSignIn(browser, attempt.url), 'verified@example.com');
    expect(landing.text ?? '').not.toContain(HEADING);
    const claims = await tokensFor(attempt, await returnToApp(browser, landing));
    expect(claims).toMatchObject({ sub: account.id, email_verified: true, acr: ONE_FA });
    await expect(lastOutboxMessage(app, 'verified@example.com')).rejects.toThrow(/no message/);
  });

  test('an unverified account with an authenticator app: the address first, then the factor (2fa)', async () => {
    const account = await createUnverified('with-totp@example.com');
    const totp = app.container.factorModules.find((m) => m.kind === 'totp')!;
    const env = { account, ip: '127.0.0.1', now: clock.now() };
    const pending = await totp.beginEnrolment(env, {});
    const secret = String(pending.seed);
    await totp.finishEnrolment(env, pending, { code: totpCode(secret, clock.now()) });
    clock.advance(30_000);

    const { browser, attempt, page, code } = await atVerifyStep('with-totp@example.com');
    // The password alone does not reach the factor's page: a POST for it is another step's.
    const uid = page.url.split('/').pop()!;
    const csrf = formFor(page, '/verify-email', 'verify').csrf;
    expect((await browser.post(`/interaction/${uid}/factor`, { _csrf: csrf, action: 'verify', code: totpCode(secret, clock.now()) })).status).toBe(409);

    const factorPage = await submitVerifyCode(browser, page, code);
    expect(factorPage.status).toBe(200);
    expect(factorPage.text).toContain('Enter the 6-digit code from your authenticator app.');
    expect((await app.container.stores.accounts.findById(account.id))?.emailVerified).toBe(true);
    const claims = await tokensFor(attempt, await returnToApp(browser, await submitCode(browser, factorPage, totpCode(secret, clock.now()))));
    expect(claims).toMatchObject({ sub: account.id, email_verified: true, amr: ['pwd', 'otp', 'mfa'], acr: TWO_FA });
  });

  test('a client that demands 2fa: the address first, then setting up a second factor', async () => {
    const account = await createUnverified('needs2fa-verify@example.com');
    const { browser, page, code } = await atVerifyStep('needs2fa-verify@example.com', { acr_values: TWO_FA });
    const next = await submitVerifyCode(browser, page, code);
    expect(next.text).toContain('Protect your account');
    expect((await app.container.stores.accounts.findById(account.id))?.emailVerified).toBe(true);
  });
});
