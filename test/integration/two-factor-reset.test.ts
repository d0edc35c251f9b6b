/**
 * Lost the second factor, has a backup method: the support article's journey end to end —
 * password → "Authenticate a different way" → "Use backup method" → the code → "Remove the
 * device and add new one" → "Send 2-factor authentication email" → the link, opened in
 * another browser, asks the password again → a new factor → a new recovery key and codes.
 * And the rule above it all: no sequence that knows only some of password, login inbox and
 * backup inbox gets in or changes a factor.
 */
import * as oidc from 'openid-client';
import type { Account } from '../../src/store/ports.js';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { Browser, type Page } from '../support/browser.js';
import { ConsolePages, latestCode, latestMessage, notifications, TimeShift } from '../support/console.js';
import {
  chooseNewMethod,
  openResetLink,
  openSignIn,
  recoverySecretsOn,
  returnToApp,
  saveRecoveryCodes,
  sendTwoFactorResetEmail,
  showsRecoveryCodes,
  submitBackupCode,
  submitCode,
  submitEnrolment,
  submitPassword,
  submitResetPassword,
  totpSecretOn,
  useBackupMethod,
  type Landing,
} from '../support/flow.js';
import { totpCode } from '../support/totp.js';
import { chooseNewPassword, linkTo, requestReset, resetLinkIn } from '../support/sign-up.js';
import { lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, idTokenClaims, registerWebClient } from '../support/rp.js';

const TWO_FA = 'urn:latchkey:acr:2fa';

describe('resetting 2FA with the backup method', () => {
  let app: TestApp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    app = await startTestApp();
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(() => app.close());

  const stores = () => app.container.stores;
  const accountOf = async (email: string): Promise<Account> => (await stores().accounts.findByEmail(email))!;

  /** An account with an authenticator app (set up in the console, recovery codes saved) and, when given, a backup email. */
  async function withAuthenticator(email: string, backupEmail?: string) {
    await createUser(app, email);
    const console = new ConsolePages(app, { email });
    const { secret } = await console.addTotp();
    const account = await accountOf(email);
    if (backupEmail) await stores().backupMethods.set({ accountId: account.id, kind: 'email', destination: backupEmail, channel: null, verifiedAt: Date.now() });
    return { account, console, secret };
  }

  /** A new sign-in at an app, past the password, at the authenticator step. */
  async function atFactorStep(email: string, password = TEST_PASSWORD) {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const page = await submitPassword(browser, await openSignIn(browser, attempt.url), email, password);
    expect(page.text).toContain('Enter the 6-digit code from your authenticator app.');
    return { browser, attempt, page };
  }

  /** The link in the latest "Set up 2-factor authentication again" email to `email`. */
  async function resetLinkFor(email: string): Promise<string> {
    const mail = await latestMessage(app, email);
    expect(mail.subject).toBe('Set up 2-factor authentication again');
    const link = mail.text?.match(/http:\/\/\S+\/reset-2fa\/\S+/)?.[0];
    if (!link) throw new Error(`No link in: ${mail.text}`);
    expect(link.startsWith(`${app.issuer}/reset-2fa/`)).toBe(true);
    return link;
  }

  /** Everything up to the emailed link, by the account's owner (password + backup inbox). */
  async function requestResetLink(email: string, backupEmail: string): Promise<{ link: string; sent: Landing }> {
    const { browser, page } = await atFactorStep(email);
    const codePage = await useBackupMethod(browser, page);
    expect(codePage.text).toContain('We sent a 6-digit code to your backup method');
    const offer = await submitBackupCode(browser, codePage, await latestCode(app, backupEmail));
    const sent = await sendTwoFactorResetEmail(browser, offer);
    expect(sent.text).toContain('<h1>Check your email</h1>');
    return { link: await resetLinkFor(email), sent };
  }

  const auditTypes = async (email: string) => (await app.container.audit.list((await accountOf(email)).id)).map((e) => e.type);

  test('the whole journey: backup code, emailed link, password again, a new authenticator app and new recovery codes; everything else ends', async () => {
    const email = 'lost-phone@example.com';
    const backup = 'lost-phone-backup@example.org';
    const { account, console: oldConsole, secret: oldSecret } = await withAuthenticator(email, backup);
    const [oldFactor] = await stores().factors.listForAccount(account.id);
    const oldRecovery = await stores().recoveryCodes.get(account.id);
    expect(oldRecovery).not.toBeNull();
    // Signed in at the console before: this session must end with the reset.
    expect((await oldConsole.browser.get('/account/security')).status).toBe(200);

    const { link } = await requestResetLink(email, backup);
    // Nothing has changed yet: the link only lets the owner set 2FA up again.
    expect(await stores().factors.listForAccount(account.id)).toEqual([oldFactor]);

    // Opened in another browser: the password again (a wrong one keeps the link usable).
    const other = new Browser(app.url);
    const passwordPage = await openResetLink(other, link);
    expect(passwordPage.text).toContain(`value="${email}"`);
    expect(passwordPage.text).not.toContain('Create account');
    const wrong = await submitResetPassword(other, passwordPage, 'not the password at all');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('The password is incorrect');
    const choose = await submitResetPassword(other, wrong);
    expect(choose.text).toContain('<h1>Set up 2-factor authentication again</h1>');
    expect(choose.text).toContain('on the same device or a new one');

    // The same kind of device again (a reinstalled app): a new seed.
    const enrol = await chooseNewMethod(other, choose, 'Authenticator app');
    const newSecret = totpSecretOn(enrol);
    expect(newSecret).not.toBe(oldSecret);
    const shown = await submitEnrolment(other, enrol, 'finish', { code: totpCode(newSecret, Date.now()) });
    expect(showsRecoveryCodes(shown)).toBe(true);
    const fresh = recoverySecretsOn(shown);
    const landed = await saveRecoveryCodes(other, shown);
    // Signed in to the console with the password and the new factor.
    expect(landed.url).toMatch(/\/account\/security$/);
    expect(landed.status).toBe(200);

    const factors = await stores().factors.listForAccount(account.id);
    expect(factors).toHaveLength(1);
    expect(factors[0]!.id).not.toBe(oldFactor!.id);
    expect(factors[0]!.kind).toBe('totp');
    // The old recovery set is gone; the new one works.
    const recovery = app.container.factorRegistry.recovery()!;
    expect((await stores().recoveryCodes.get(account.id))!.generation).toBeGreaterThan(oldRecovery!.generation);
    await expect(recovery.verify(account.id, 'backup_code', fresh.codes[0]!, Date.now())).resolves.toMatchObject({ remaining: 9 });
    // The backup method stays (it is how the person got back in).
    expect((await stores().backupMethods.get(account.id))?.destination).toBe(backup);

    // Every other sign-in ended: the old console session is asked to sign in again.
    const oldSession = await oldConsole.browser.get('/account/security');
    expect(oldSession.status).toBe(303);
    expect(oldSession.location).toMatch(/^\/auth\?/);

    // Every verified address was told.
    expect((await notifications(app, email)).some((n) => n.text?.includes('2-factor authentication (2FA) was reset'))).toBe(true);
    expect((await notifications(app, backup)).some((n) => n.text?.includes('2-factor authentication (2FA) was reset'))).toBe(true);
    const types = await auditTypes(email);
    expect(types).toEqual(expect.arrayContaining(['backup_method.used', '2fa.reset_requested', '2fa.reset', 'factor.added', 'recovery_codes.issued']));

    // The link worked once.
    const again = await new Browser(app.url).get(new URL(link).pathname);
    expect(again.status).toBe(400);
    expect(again.text).toContain('This link has expired');

    // The next sign-in at an app asks the new authenticator, and proves two factors.
    const next = await atFactorStep(email);
    const callback = await returnToApp(next.browser, await submitCode(next.browser, next.page, totpCode(newSecret, Date.now() + 30_000)));
    expect((await idTokenClaims(config, next.attempt, callback)).acr).toBe(TWO_FA);
  });

  test('the link answers with no Referer and no caching, and a used, replaced or expired link is refused', async () => {
    const email = 'link-rules@example.com';
    const backup = 'link-rules-backup@example.org';
    await withAuthenticator(email, backup);
    const first = (await requestResetLink(email, backup)).link;
    const opened = await new Browser(app.url).get(new URL(first).pathname);
    expect(opened.status).toBe(303);
    expect(opened.headers['referrer-policy']).toBe('no-referrer');
    expect(opened.headers['cache-control']).toBe('no-store');

    // A second request replaces the first link, also in a browser that opened it before.
    const early = new Browser(app.url);
    const openedEarly = await openResetLink(early, first);
    const second = (await requestResetLink(email, backup)).link;
    const stale = await new Browser(app.url).get(new URL(first).pathname);
    expect(stale.status).toBe(400);
    expect(stale.text).toContain('This link has expired');
    const late = await submitResetPassword(early, openedEarly);
    expect(late.status).toBe(400);
    expect(late.text).toContain('This link has expired');

    // 30 minutes later the second one is dead too.
    const time = new TimeShift();
    try {
      time.advance(31 * 60_000);
      const expired = await new Browser(app.url).get(new URL(second).pathname);
      expect(expired.status).toBe(400);
      expect(expired.text).toContain('This link has expired');
    } finally {
      time.restore();
    }
    // Mangled links are the same 400 page, never a 500.
    for (const path of ['/reset-2fa/x', `/reset-2fa/${'a'.repeat(300)}`, '/reset-2fa/..%2F..%2Fetc']) {
      expect((await new Browser(app.url).get(path)).status).toBe(400);
    }
  });

  test('"No backup method set up": said plainly, support is the way, nothing about the account is revealed', async () => {
    const email = 'no-backup@example.com';
    await withAuthenticator(email);
    const { browser, page } = await atFactorStep(email);
    const none = await useBackupMethod(browser, page);
    expect(none.status).toBe(200);
    expect(none.text).toContain('<h1>No backup method set up</h1>');
    expect(none.text).toContain('You have not set up a backup method for your account');
    expect(none.text).toContain('ask support to reset two-factor authentication');
    expect(none.text).not.toContain(email);
    expect(none.text).not.toContain('@');
    // Back to the other ways.
    const csrf = none.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    const back = await browser.submit(`/interaction/${none.text.match(/action="\/interaction\/([^/"]+)\//)![1]}/no-backup`, { _csrf: csrf, action: 'other' });
    expect(back.text).toContain('<h1>Authenticate a different way</h1>');
  });

  test('after support reset 2FA, the next sign-in sets up a factor before it finishes (even when the app asks for one factor) and urges a backup method', async () => {
    const email = 'support-reset@example.com';
    const { account } = await withAuthenticator(email, 'support-reset-backup@example.org');
    await app.container.twoFactorReset.bySupport(account, { reason: 'lost phone, verified by ticket 42', by: 'Sam' });
    expect(await stores().factors.listForAccount(account.id)).toEqual([]);

    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const choose = await submitPassword(browser, await openSignIn(browser, attempt.url), email);
    expect(choose.text).toContain('<h1>Protect your account</h1>');
    expect(choose.text).toContain('Two-factor authentication was reset on your account');
    // Skipping it is not possible: no request ends at the app before a factor is set up.
    expect(choose.location).toBeUndefined();
    const enrol = await chooseNewMethod(browser, choose, 'Authenticator app');
    const secret = totpSecretOn(enrol);
    const shown = await submitEnrolment(browser, enrol, 'finish', { code: totpCode(secret, Date.now()) });
    expect(showsRecoveryCodes(shown)).toBe(true);
    expect(shown.text).toContain('Next, set up a backup method');
    const callback = await returnToApp(browser, shown);
    expect((await idTokenClaims(config, attempt, callback)).acr).toBe(TWO_FA);
    expect((await accountOf(email)).enrolmentRequired).toBeUndefined();
    expect((await notifications(app, email)).some((n) => n.text?.includes('by Latchkey support (Sam)'))).toBe(true);
  });

  test('still has the device: Protect your account → Set up again (after signing in with it) replaces it, on the same app or a new one', async () => {
    const email = 'still-has@example.com';
    const { account, console: pages, secret } = await withAuthenticator(email);
    // The re-authentication before a change answers with the device being replaced (a later time step than the setup's).
    let step = 1;
    const withDevice = new ConsolePages(app, { email, secondFactor: () => totpCode(secret, Date.now() + 30_000 * step++) }, pages.browser);
    const [old] = await stores().factors.listForAccount(account.id);
    const security = await withDevice.security();
    expect(security.text).toContain(`/account/security/factors/${old!.id}/change`);
    expect(security.text).toContain('Set up again');
    const begin = await withDevice.visit(`/account/security/factors/${old!.id}/change`);
    expect(begin.text).toContain('Set up again: Authenticator app');
    const confirm = await withDevice.submit(begin, `/account/security/factors/${old!.id}/change`);
    const newSecret = totpSecretOn(confirm);
    const done = await withDevice.submit(confirm, '/account/security/add/totp/confirm', { action: 'finish', code: totpCode(newSecret, Date.now()) });
    expect(done.url).toMatch(/\/account\/security\?done=replaced$/);
    expect(done.text).toContain('The sign-in method was set up again');
    const factors = await stores().factors.listForAccount(account.id);
    expect(factors).toHaveLength(1);
    expect(factors[0]!.id).not.toBe(old!.id);
    // 2FA never went off: the recovery set is the same one, and one email told of the change.
    expect(await stores().recoveryCodes.remaining(account.id)).toEqual({ codes: 10, key: true });
    expect((await notifications(app, email)).at(-1)!.text).toContain('replacing');
    // The old app's codes no longer sign in.
    const { browser, page } = await atFactorStep(email);
    expect((await submitCode(browser, page, totpCode(secret, Date.now() + 30_000 * step))).status).toBe(400);
  });

  describe('never lets in with less than the password, the backup method and the login inbox', () => {
    const email = 'target@example.com';
    const backup = 'target-backup@example.org';
    let account: Account;

    beforeAll(async () => {
      ({ account } = await withAuthenticator(email, backup));
    });

    const factorIds = async () => (await stores().factors.listForAccount(account.id)).map((f) => f.id);
    const uidOf = (page: Page) => page.text.match(/action="\/interaction\/([^/"]+)\//)![1]!;
    const csrfOn = (page: Page) => page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    const resetMails = async () => (await app.container.delivery.outbox!.read()).filter((e) => e.to === email && e.subject === 'Set up 2-factor authentication again').length;

    test('only the password: the reset steps and the link email cannot be reached without the backup code', async () => {
      const before = { factors: await factorIds(), mails: await resetMails() };
      const { browser, page } = await atFactorStep(email);
      const uid = uidOf(page);
      // Skipping ahead is a 409, never a step.
      for (const [action, fields] of [
        ['reset-email', { action: 'send' }],
        ['reset-offer', { action: 'reset' }],
        ['reset-sent', { action: 'send' }],
        ['backup', { action: 'verify', code: '123456' }],
        ['enrol-choose', { kind: 'totp' }],
      ] as const) {
        expect((await browser.post(`/interaction/${uid}/${action}`, { _csrf: csrfOn(page), ...fields })).status).toBe(409);
      }
      // Guessing the backup code: wrong answers stay on the code page.
      const codePage = await useBackupMethod(browser, page);
      const guess = await submitBackupCode(browser, codePage, '000000');
      expect(guess.status).toBe(400);
      expect(guess.text).toContain('That code is not right');
      expect((await browser.post(`/interaction/${uid}/reset-email`, { _csrf: csrfOn(guess), action: 'send' })).status).toBe(409);
      expect(await resetMails()).toBe(before.mails);
      expect(await factorIds()).toEqual(before.factors);
    });

    test('the backup code is not a second factor: after it the flow offers the reset, never a sign-in', async () => {
      const signIns = async () => (await auditTypes(email)).filter((t) => t === 'signin.completed').length;
      const before = await signIns();
      const { browser, page } = await atFactorStep(email);
      const offer = await submitBackupCode(browser, await useBackupMethod(browser, page), await latestCode(app, backup));
      expect(offer.text).toContain('Remove the device and add new one');
      expect(offer.location).toBeUndefined();
      // Going back lists the other ways; no request from here ends at the app.
      const back = await browser.submit(`/interaction/${uidOf(offer)}/reset-offer`, { _csrf: csrfOn(offer), action: 'other' });
      expect(back.text).toContain('<h1>Authenticate a different way</h1>');
      expect(back.location).toBeUndefined();
      expect(await signIns()).toBe(before);
    });

    test('only the backup inbox (no password): no code can be asked for before the password', async () => {
      const browser = new Browser(app.url);
      const login = await openSignIn(browser, (await authorizationRequest(config, 'openid')).url);
      const codesBefore = (await app.container.delivery.outbox!.read()).filter((e) => e.to === backup).length;
      const chosen = await browser.post(`/interaction/${uidOf(login)}/choose`, { _csrf: csrfOn(login), recovery: 'backup_method' });
      expect(chosen.status).toBe(409);
      expect((await browser.post(`/interaction/${uidOf(login)}/backup`, { _csrf: csrfOn(login), action: 'resend' })).status).toBe(409);
      expect((await app.container.delivery.outbox!.read()).filter((e) => e.to === backup)).toHaveLength(codesBefore);
    });

    test('the login inbox and the backup inbox without the password: the link asks the password, and wrong ones change nothing', async () => {
      // The owner asked for a link; an attacker reading both inboxes opens it first.
      const { link } = await requestResetLink(email, backup);
      const attacker = new Browser(app.url);
      const passwordPage = await openResetLink(attacker, link);
      const before = await factorIds();
      let page: Landing = passwordPage;
      for (const guess of ['password', 'Password1', 'correct horse battery']) {
        page = await submitResetPassword(attacker, page, guess);
        expect(page.status).toBe(401);
      }
      for (const action of ['enrol-choose', 'enrol', 'recovery-codes']) {
        expect((await attacker.post(`/interaction/${uidOf(page)}/${action}`, { _csrf: csrfOn(page), kind: 'totp' })).status).toBe(409);
      }
      expect(await factorIds()).toEqual(before);
      // The typos burnt nothing: the owner's own browser still completes with the link.
      const owner = new Browser(app.url);
      const choose = await submitResetPassword(owner, await openResetLink(owner, link));
      expect(choose.text).toContain('<h1>Set up 2-factor authentication again</h1>');
    });

  });

  describe('a password chosen through the login inbox is that inbox, not a second thing', () => {
    const NEW_PASSWORD = 'a brand new passphrase for this test';

    /** "Forgot password" and the emailed link: what whoever reads the login inbox can do. */
    async function resetPasswordThroughInbox(email: string) {
      const browser = new Browser(app.url);
      const signIn = await openSignIn(browser, (await authorizationRequest(config, 'openid')).url);
      await requestReset(browser, linkTo(signIn, 'Forgot password'), email);
      const done = await chooseNewPassword(browser, resetLinkIn((await lastOutboxMessage(app, email)).text!), NEW_PASSWORD);
      expect(done.status).toBe(200);
    }

    test('login inbox + backup inbox: the password reset through the one and the backup email open no 2FA reset', async () => {
      const email = 'two-inboxes@example.com';
      const backup = 'two-inboxes-backup@example.org';
      const { account } = await withAuthenticator(email, backup);
      const before = (await stores().factors.listForAccount(account.id)).map((f) => f.id);
      await resetPasswordThroughInbox(email);
      expect((await accountOf(email)).passwordFromLink).toBe(true);

      const { browser, page } = await atFactorStep(email, NEW_PASSWORD);
      const codePage = await useBackupMethod(browser, page);
      const refused = await submitBackupCode(browser, codePage, await latestCode(app, backup));
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('two inboxes do not prove it is you');
      const uid = refused.text.match(/action="\/interaction\/([^/"]+)\//)![1]!;
      const csrf = refused.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
      expect((await browser.post(`/interaction/${uid}/reset-offer`, { _csrf: csrf, action: 'reset' })).status).toBe(409);
      expect((await browser.post(`/interaction/${uid}/reset-email`, { _csrf: csrf, action: 'send' })).status).toBe(409);
      expect((await stores().factors.listForAccount(account.id)).map((f) => f.id)).toEqual(before);
    });

    test('a 2FA reset link sent before a password reset dies with the old password', async () => {
      const email = 'link-then-password@example.com';
      const backup = 'link-then-password-backup@example.org';
      await withAuthenticator(email, backup);
      const { link } = await requestResetLink(email, backup);
      await resetPasswordThroughInbox(email);
      const opened = await new Browser(app.url).get(new URL(link).pathname);
      expect(opened.status).toBe(400);
    });

    test('only the login inbox, with email codes to it as the second factor: the reset password and the code are one factor', async () => {
      const email = 'inbox-factor@example.com';
      await createUser(app, email);
      // Email codes to the login address itself (the email factor's default).
      const pages = new ConsolePages(app, { email });
      const begin = await pages.visit('/account/security/add/email');
      const confirm = await pages.submit(begin, '/account/security/add/email', { email });
      const shown = await pages.submit(confirm, '/account/security/add/email/confirm', { action: 'finish', code: await latestCode(app, email) });
      const codes = recoverySecretsOn(shown);
      await pages.saveRecoveryCodesIfShown(shown);

      await resetPasswordThroughInbox(email);
      const browser = new Browser(app.url);
      const attempt = await authorizationRequest(config, 'openid');
      const codeStep = await submitPassword(browser, await openSignIn(browser, attempt.url), email, NEW_PASSWORD);
      expect(codeStep.text).toContain('We sent a code to');
      const after = await browser.post(`/interaction/${codeStep.text.match(/action="\/interaction\/([^/"]+)\//)![1]}/factor`, {
        _csrf: codeStep.text.match(/name="_csrf" value="([^"]+)"/)![1]!,
        action: 'verify',
        code: await latestCode(app, email),
      });
      // Not signed in: the inbox proved itself twice, and a saved code with that inbox is no second thing either
      // (none is offered, so none is spent for nothing). The app is told the level cannot be reached.
      const ended = await browser.follow(after.location!);
      const callback = new URL(ended.location!);
      expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
      expect(callback.searchParams.get('code')).toBeNull();
      expect((await stores().recoveryCodes.remaining((await accountOf(email)).id)).codes).toBe(10);
      expect(codes.codes).toHaveLength(10);
      expect((await accountOf(email)).passwordFromLink).toBe(true);
    });

    test('the honest person who forgot the password and lost the phone still gets back in with a backup phone', async () => {
      const email = 'forgot-and-lost@example.com';
      const { account } = await withAuthenticator(email);
      await stores().backupMethods.set({ accountId: account.id, kind: 'phone', destination: '+447700900555', channel: 'sms', verifiedAt: Date.now() });
      await resetPasswordThroughInbox(email);
      const { browser, page } = await atFactorStep(email, NEW_PASSWORD);
      const offer = await submitBackupCode(browser, await useBackupMethod(browser, page), await latestCode(app, '+447700900555'));
      const sent = await sendTwoFactorResetEmail(browser, offer);
      expect(sent.text).toContain('<h1>Check your email</h1>');

      // Then the link: email codes are not offered (with this password they would be the
      // inbox twice), and one asked for anyway is refused before anything is undone.
      const other = new Browser(app.url);
      const choose = await submitResetPassword(other, await openResetLink(other, await resetLinkFor(email)), NEW_PASSWORD);
      expect(choose.text).toContain('Authenticator app');
      expect(choose.text).not.toContain('value="email"');
      const uid = choose.text.match(/action="\/interaction\/([^/"]+)\//)![1]!;
      const forced = await other.post(`/interaction/${uid}/enrol-choose`, { _csrf: choose.text.match(/name="_csrf" value="([^"]+)"/)![1]!, kind: 'email' });
      expect(forced.status).toBe(400);
      const enrol = await chooseNewMethod(other, choose, 'Authenticator app');
      const shown = await submitEnrolment(other, enrol, 'finish', { code: totpCode(totpSecretOn(enrol), Date.now()) });
      expect(showsRecoveryCodes(shown)).toBe(true);
      expect((await saveRecoveryCodes(other, shown)).url).toMatch(/\/account\/security$/);
      // The reset's sign-in proved a device with this password: it is the owner's again.
      expect((await accountOf(email)).passwordFromLink).toBeUndefined();
    });
  });

  describe('before any reset is finished', () => {
    const email = 'target2@example.com';
    let secret: string;
    beforeAll(async () => {
      ({ secret } = await withAuthenticator(email, 'target2-backup@example.org'));
    });

    test('the old authenticator still answers while no reset was finished', async () => {
      const { browser, page, attempt } = await atFactorStep(email);
      const callback = await returnToApp(browser, await submitCode(browser, page, totpCode(secret, Date.now() + 30_000)));
      expect((await idTokenClaims(config, attempt, callback)).acr).toBe(TWO_FA);
    });
  });
});
