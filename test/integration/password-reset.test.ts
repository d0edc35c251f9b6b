import * as oidc from 'openid-client';
import type { Stores } from '../../src/store/ports.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { createUser, startTestApp, TEST_PASSWORD, TestClock, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { openSignIn, returnToApp, submitCode, submitPassword } from '../support/flow.js';
import { startMailCatcher, type MailCatcher } from '../support/mail-catcher.js';
import { lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, exchangeCode, openLoginForm, registerWebClient, signInThroughBrowser } from '../support/rp.js';
import { isSignInPage, signInAs } from '../support/console.js';
import { chooseNewPassword, linkTo, openSignUp, requestReset, resetLinkIn, submitSignUp, finishSignUp } from '../support/sign-up.js';
import { totpCode } from '../support/totp.js';

const NEW_PASSWORD = 'lantern orchard gravel tide';
const HOUR = 60 * 60_000;

/** Stores that record which port methods run, to compare the work of two requests. */
function recordingStores(inner: Stores, log: string[]): Stores {
  const record = <T extends object>(name: string, port: T): T =>
    new Proxy(port, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          log.push(`${name}.${String(prop)}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { ...inner, accounts: record('accounts', inner.accounts), oneTime: record('oneTime', inner.oneTime), counters: record('counters', inner.counters) };
}

describe('forgot password, over HTTP with mail from the outbox', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  const clock = new TestClock();
  const work: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ clock, stores: recordingStores(createSqliteStores(':memory:'), work) });
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(() => app.close());
  // Each test starts after the hourly request limits of the previous ones are forgotten.
  beforeEach(() => clock.advance(HOUR + 60_000));

  /** "Forgot password" from the sign-in page of a new authorization request. */
  async function forgotFromSignIn(browser: Browser, email: string) {
    const signIn = await openSignIn(browser, (await authorizationRequest(config, 'openid')).url);
    return requestReset(browser, linkTo(signIn, 'Forgot password'), email);
  }

  /** Resets `email`'s password through the emailed link; returns the "Password changed" page. */
  async function resetPassword(email: string, password = NEW_PASSWORD) {
    const browser = new Browser(app.url);
    await forgotFromSignIn(browser, email);
    return chooseNewPassword(browser, resetLinkIn((await lastOutboxMessage(app, email)).text), password);
  }

  test('the answer, the store work and the email are alike whether or not the account exists', async () => {
    await createUser(app, 'known@example.com');
    const browser = new Browser(app.url);
    const measure = async (email: string) => {
      const signIn = await openSignIn(browser, (await authorizationRequest(config, 'openid')).url);
      const form = await browser.follow(linkTo(signIn, 'Forgot password'));
      const before = (await app.container.delivery.outbox!.read()).length;
      work.length = 0;
      const page = await requestReset(browser, form.url, email);
      const recorded = work.filter((call) => !call.startsWith('accounts.findById'));
      return { page, recorded, sent: (await app.container.delivery.outbox!.read()).length - before };
    };
    const known = await measure('known@example.com');
    const unknown = await measure('nobody@example.com');

    expect(known.page.status).toBe(200);
    expect(unknown.page.status).toBe(200);
    const scrub = (text: string, email: string) => text.replaceAll(email, 'EMAIL').replace(/\/interaction\/[^"]+/g, '/interaction/UID');
    expect(scrub(known.page.text, 'known@example.com')).toBe(scrub(unknown.page.text, 'nobody@example.com'));
    expect(known.page.text).toContain('Check your inbox');
    expect(known.page.text).toContain('Back to sign in');
    // The same reservations, lookups and one-time write; one email each.
    expect(known.recorded).toEqual(unknown.recorded);
    expect(known.recorded).toEqual(expect.arrayContaining(['counters.reserve', 'accounts.findByEmail', 'oneTime.put']));
    expect([known.sent, unknown.sent]).toEqual([1, 1]);

    expect(resetLinkIn((await lastOutboxMessage(app, 'known@example.com')).text).href).toMatch(/\/password\/reset\?token=/);
    const notice = await lastOutboxMessage(app, 'nobody@example.com');
    expect(notice.subject).toBe((await lastOutboxMessage(app, 'known@example.com')).subject);
    expect(notice.text).toContain('no active account uses it');
    expect(notice.text).not.toContain('/password/reset');
  });

  test('the link: from ISSUER, no-referrer, a refused password keeps it, then one use; old password out, owner notified', async () => {
    const account = await createUser(app, 'reset@example.com');
    const browser = new Browser(app.url);
    await forgotFromSignIn(browser, 'reset@example.com');
    const link = resetLinkIn((await lastOutboxMessage(app, 'reset@example.com')).text);
    expect(link.origin).toBe(app.issuer);

    const page = await browser.follow(link.pathname + link.search);
    expect(page.status).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('<h1>Choose a new password</h1>');

    const weak = await chooseNewPassword(browser, page, 'reset@example.com');
    expect(weak.status).toBe(400);
    expect(weak.text).toContain('This password is too easy to guess');
    expect(weak.text).toContain('Password strength:');
    const common = await chooseNewPassword(browser, weak, 'iloveyou');
    expect(common.status).toBe(400);
    expect(common.text).toContain('common or leaked passwords');

    const done = await chooseNewPassword(browser, common, NEW_PASSWORD);
    expect(done.status).toBe(200);
    expect(done.text).toContain('<h1>Password changed</h1>');
    const notice = await lastOutboxMessage(app, 'reset@example.com');
    expect(notice.subject).toContain('The password of your account was changed');

    // Used: the link is dead, whether opened or posted again.
    const again = await chooseNewPassword(browser, common, 'another fine passphrase');
    expect(again.status).toBe(400);
    expect(again.text).toContain('This link has expired or was already used');
    expect(linkTo(again, 'Forgot password')).toBe('/password/forgot');

    const stored = (await app.container.stores.accounts.findById(account.id))!;
    expect(await app.container.hasher.verify(stored.passwordHash, NEW_PASSWORD)).toBe(true);
    const oldPassword = await openLoginForm(new Browser(app.url), (await authorizationRequest(config, 'openid')).url);
    expect((await oldPassword.attempt('reset@example.com', TEST_PASSWORD)).status).toBe(401);
    const signIn = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    expect((await exchangeCode(config, attempt, await signInThroughBrowser(signIn, attempt.url, 'reset@example.com', NEW_PASSWORD))).claims()!.sub).toBe(account.id);
  });

  test('a newer request replaces the link; an expired link is refused, opened or posted', async () => {
    await createUser(app, 'expiry@example.com');
    const browser = new Browser(app.url);
    await forgotFromSignIn(browser, 'expiry@example.com');
    const first = resetLinkIn((await lastOutboxMessage(app, 'expiry@example.com')).text);
    await forgotFromSignIn(browser, 'expiry@example.com');
    const second = resetLinkIn((await lastOutboxMessage(app, 'expiry@example.com')).text);
    expect((await chooseNewPassword(browser, first, NEW_PASSWORD)).status).toBe(400);

    const page = await browser.follow(second.pathname + second.search);
    expect(page.status).toBe(200);
    clock.advance(HOUR + 1_000);
    const opened = await browser.follow(second.pathname + second.search);
    expect(opened.status).toBe(400);
    expect(opened.text).toContain('This link has expired or was already used');
    expect((await chooseNewPassword(browser, page, NEW_PASSWORD)).status).toBe(400);
  });

  test('every session and token of the account ends: refresh, access token, the browser session, the account console', async () => {
    const account = await createUser(app, 'sessions@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config);
    const tokens = await exchangeCode(config, attempt, await signInThroughBrowser(browser, attempt.url, 'sessions@example.com'));
    // A rotated refresh token is of the same sign-in: it must end too.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(true);
    const silent = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
    expect(silent.location).toContain('code=');

    // The account console, signed in through the same sign-in page, in another browser.
    const consoleBrowser = new Browser(app.url);
    const consolePage = await signInAs(consoleBrowser, await consoleBrowser.follow('/account'), { email: 'sessions@example.com' });
    expect(consolePage.status).toBe(200);
    expect(consolePage.text).toContain('sessions@example.com');
    expect(isSignInPage(await consoleBrowser.follow('/account'))).toBe(false);

    expect((await resetPassword('sessions@example.com')).status).toBe(200);

    expect(isSignInPage(await consoleBrowser.follow('/account'))).toBe(true);
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);
    await expect(oidc.fetchUserInfo(config, refreshed.access_token, account.id)).rejects.toThrow();
    const signedOut = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
    expect(signedOut.status).toBe(200);
    expect(signedOut.text).toContain('id="password"');

    // Signing in again with the new password gives working tokens.
    const fresh = await authorizationRequest(config);
    const newTokens = await exchangeCode(config, fresh, await signInThroughBrowser(browser, fresh.url, 'sessions@example.com', NEW_PASSWORD));
    expect((await oidc.refreshTokenGrant(config, newTokens.refresh_token!)).access_token).toBeTruthy();
  });

  test('a reset never skips the second factor: the next sign-in still asks the authenticator app', async () => {
    const account = await createUser(app, 'totp-reset@example.com');
    const module = app.container.factorRegistry.module('totp')!;
    const env = { account, ip: '127.0.0.1', now: clock.now() };
    const pending = await module.beginEnrolment(env, {});
    const secret = String(pending.seed);
    await module.finishEnrolment(env, pending, { code: totpCode(secret, clock.now()) });

    expect((await resetPassword('totp-reset@example.com')).status).toBe(200);
    clock.advance(30_000);
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const factorPage = await submitPassword(browser, await openSignIn(browser, attempt.url), 'totp-reset@example.com', NEW_PASSWORD);
    expect(factorPage.location).toBeUndefined();
    expect(factorPage.text).toContain('Enter the 6-digit code from your authenticator app.');
    const claims = (await exchangeCode(config, attempt, await returnToApp(browser, await submitCode(browser, factorPage, totpCode(secret, clock.now()))))).claims()!;
    expect(claims).toMatchObject({ sub: account.id, acr: 'urn:latchkey:acr:2fa', amr: ['pwd', 'otp', 'mfa'] });
  });

  test('requests are limited per address (known or not) and never lock the account', async () => {
    await createUser(app, 'limited@example.com');
    const browser = new Browser(app.url);
    for (const email of ['limited@example.com', 'unknown-limited@example.com']) {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await requestReset(browser, '/password/forgot', email)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    }
    const refused = await requestReset(browser, '/password/forgot', 'limited@example.com');
    expect(refused.text).toContain('Too many password reset requests. Wait 60 minute(s)');
    // Signing in is not affected.
    const attempt = await authorizationRequest(config, 'openid');
    expect((await signInThroughBrowser(new Browser(app.url), attempt.url, 'limited@example.com')).searchParams.get('code')).toBeTruthy();
  });

  test('requests are limited per IP address', async () => {
    const browser = new Browser(app.url);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await requestReset(browser, '/password/forgot', `ip-${i}@example.com`)).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
  });

  test('bad input: 4xx pages, never a 500', async () => {
    const account = await createUser(app, 'bad-reset@example.com');
    const browser = new Browser(app.url);
    const form = await browser.follow('/password/forgot?interaction=../../evil');
    expect(form.status).toBe(200);
    expect(form.text).not.toContain('evil');
    const csrf = form.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    const invalid = await browser.post('/password/forgot', { _csrf: csrf, email: 'not an email' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('Enter a valid email address.');
    expect((await browser.post('/password/forgot', { email: 'bad-reset@example.com' })).status).toBe(403);
    expect((await browser.post('/password/forgot', { _csrf: csrf, email: 'x'.repeat(5000) })).status).toBe(400);
    // The issuer is the only host: a request naming another cannot steer the link.
    expect((await browser.post('/password/forgot', { _csrf: csrf, email: 'bad-reset@example.com' }, { Host: 'evil.example' })).status).toBe(421);

    await browser.post('/password/forgot', { _csrf: csrf, email: 'bad-reset@example.com' });
    const link = resetLinkIn((await lastOutboxMessage(app, 'bad-reset@example.com')).text);
    const token = link.searchParams.get('token')!;
    const [, issued, secret] = token.split('.');
    const tampered = [
      '',
      'garbage',
      `${account.id}.${issued}.${'A'.repeat(43)}`,
      `${account.id}.${(parseInt(issued!, 36) + 1).toString(36)}.${secret}`,
      `00000000-0000-4000-8000-000000000000.${issued}.${secret}`,
    ];
    // Opening can only tell a malformed link, or one of no active account (the secret is
    // checked when it is used, by the one atomic take).
    for (const value of [tampered[0]!, tampered[1]!, tampered[4]!]) {
      expect((await browser.get(`/password/reset?token=${encodeURIComponent(value)}`)).status).toBe(400);
    }
    expect((await browser.get(`/password/reset?token=${token}&token=${token}`)).status).toBe(400);
    const page = await browser.follow(link.pathname + link.search);
    const resetCsrf = page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    for (const value of tampered) {
      expect((await browser.post('/password/reset', { _csrf: resetCsrf, token: value, password: NEW_PASSWORD })).status).toBe(400);
    }
    expect((await browser.post('/password/reset', { token, password: NEW_PASSWORD })).status).toBe(403);
    expect((await browser.post('/password/reset', { _csrf: resetCsrf, token, password: 'x'.repeat(9000) })).status).toBe(400);
    // None of that used the link up.
    expect((await chooseNewPassword(browser, page, NEW_PASSWORD)).status).toBe(200);
  });
});

describe('sign-up and password reset through a real SMTP server', () => {
  let app: TestApp;
  let mail: MailCatcher;
  let config: oidc.Configuration;

  beforeAll(async () => {
    mail = await startMailCatcher();
    app = await startTestApp({ env: { SMTP_URL: mail.url } });
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(async () => {
    await app.close();
    await mail.close();
  });

  const textTo = async (to: string, subject: RegExp) => {
    const caught = await mail.waitFor((m) => m.envelope.to.includes(to) && subject.test(m.parsed.subject ?? ''));
    mail.messages.splice(mail.messages.indexOf(caught), 1);
    return caught.parsed.text ?? '';
  };

  test('create an account with the code from the email, then reset its password with the emailed link', async () => {
    expect(app.container.delivery.outbox).toBeUndefined();
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid email');
    const form = await openSignUp(browser, await openSignIn(browser, attempt.url));
    const codePage = await submitSignUp(browser, form, { name: 'Mary Shelley', email: 'mary@example.com', password: 'frankenstein reads poetry' });
    const code = /\b\d{6}\b/.exec(await textTo('mary@example.com', /code/))![0];
    const tokens = await oidc.authorizationCodeGrant(config, await returnToApp(browser, await finishSignUp(browser, codePage, code)), {
      pkceCodeVerifier: attempt.verifier,
      expectedNonce: attempt.nonce,
      expectedState: attempt.state,
    });
    expect(tokens.claims()).toMatchObject({ email: 'mary@example.com', email_verified: true });

    const other = new Browser(app.url);
    expect((await requestReset(other, '/password/forgot', 'mary@example.com')).status).toBe(200);
    const link = resetLinkIn(await textTo('mary@example.com', /Reset your Latchkey password/));
    expect(link.origin).toBe(app.issuer);
    expect((await chooseNewPassword(other, link, NEW_PASSWORD)).text).toContain('Password changed');
    expect(await textTo('mary@example.com', /password of your account was changed/)).toContain('The password of your account was changed');
  });
});
