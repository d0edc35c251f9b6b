/**
 * Recovery key and backup codes: shown once when 2FA is turned on (at sign-in and in the
 * console), acknowledged before it completes; each a factor of its own at sign-in ("Authenticate
 * a different way"), used once, counted, regenerated from the console.
 */
import * as oidc from 'openid-client';
import type { Account } from '../../src/store/ports.js';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { appBackends } from '../support/backends.js';
import { Browser } from '../support/browser.js';
import { ConsolePages, latestCode, notifications, TimeShift } from '../support/console.js';
import {
  chooseEnrolment,
  openSignIn,
  recoverySecretsOn,
  returnToApp,
  saveRecoveryCodes,
  showsRecoveryCodes,
  submitEnrolment,
  submitPassword,
  submitRecovery,
  useRecovery,
  type Landing,
} from '../support/flow.js';
import { captureLog } from '../support/log-capture.js';
import { codeIn, lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, idTokenClaims, registerWebClient } from '../support/rp.js';

const TWO_FA = 'urn:latchkey:acr:2fa';
const log = captureLog();

describe('recovery key and backup codes', () => {
  let app: TestApp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    app = await startTestApp({ logger: log.logger });
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(() => app.close());

  /** Turns on 2FA (email codes to `codesTo`) in a sign-in; returns the recovery page it shows. */
  async function enableTwoFactor(email: string, codesTo: string) {
    await createUser(app, email);
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const begin = await chooseEnrolment(browser, await submitPassword(browser, await openSignIn(browser, attempt.url), email), 'Email code');
    const sent = await submitEnrolment(browser, begin, 'begin', { email: codesTo });
    const shown = await submitEnrolment(browser, sent, 'finish', { code: codeIn(await lastOutboxMessage(app, codesTo)) });
    return { browser, attempt, shown };
  }

  /** A new sign-in, past the password, at the email-code step. */
  async function atFactorStep(email: string) {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const page = await submitPassword(browser, await openSignIn(browser, attempt.url), email);
    expect(page.text).toContain('We sent a code to');
    return { browser, attempt, page };
  }

  const accountOf = async (email: string) => (await app.container.stores.accounts.findByEmail(email))!;

  test('turning 2FA on at sign-in shows one recovery key and 10 backup codes once; the tick is required; Download is a text file', async () => {
    const { browser, attempt, shown } = await enableTwoFactor('enable@example.com', 'enable-codes@example.org');
    expect(showsRecoveryCodes(shown)).toBe(true);
    const secrets = recoverySecretsOn(shown);
    // 32 base32 symbols: 160 bits, grouped by four for reading.
    expect(secrets.recoveryKey).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/);
    expect(secrets.codes).toHaveLength(10);
    expect(new Set(secrets.codes).size).toBe(10);
    for (const code of secrets.codes) expect(code).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    // Copy without JavaScript: a read-only text area with every value.
    expect(shown.text).toMatch(/<textarea[^>]*readonly/);
    expect(shown.text).toContain('I have saved my recovery key and backup codes');
    expect(shown.text).toContain('Enable Two Factor');

    // Stored only as keyed digests.
    const account = await accountOf('enable@example.com');
    const stored = JSON.stringify(await app.container.stores.recoveryCodes.get(account.id));
    for (const value of [secrets.recoveryKey, ...secrets.codes]) {
      expect(stored).not.toContain(value);
      expect(stored).not.toContain(value.replace(/-/g, ''));
    }

    // Download: a text/plain attachment answered to a POST.
    const uid = shown.url.split('/').pop()!;
    const csrf = shown.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    const file = await browser.post(`/interaction/${uid}/recovery-codes`, { _csrf: csrf, action: 'download' });
    expect(file.status).toBe(200);
    expect(String(file.headers['content-type'])).toMatch(/^text\/plain/);
    expect(String(file.headers['content-disposition'])).toMatch(/^attachment; filename="latchkey-recovery-codes\.txt"$/);
    for (const value of [secrets.recoveryKey, ...secrets.codes]) expect(file.text).toContain(value);

    // Without the tick: 400, nothing lost, the same codes again.
    const refused = await saveRecoveryCodes(browser, shown, false);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Tick the box');
    expect(recoverySecretsOn(refused)).toEqual(secrets);
    // A reload shows the same set (it is not made again).
    expect(recoverySecretsOn(await browser.follow(`/interaction/${uid}`))).toEqual(secrets);

    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await saveRecoveryCodes(browser, refused)));
    expect(claims).toMatchObject({ acr: TWO_FA, amr: ['pwd', 'otp', 'mfa'] });
    expect(await app.container.stores.recoveryCodes.remaining(account.id)).toEqual({ codes: 10, key: true });

    // Shown once: the next sign-in asks for the factor, and offers the recovery methods.
    const next = await atFactorStep('enable@example.com');
    expect(showsRecoveryCodes(next.page)).toBe(false);
  });

  test('a backup code signs in as the second factor (acr 2fa, amr pwd + otp), the count drops, a used code never works again', async () => {
    const { browser: b0, shown } = await enableTwoFactor('backup@example.com', 'backup-codes@example.org');
    const secrets = recoverySecretsOn(shown);
    await saveRecoveryCodes(b0, shown);

    const { browser, attempt, page } = await atFactorStep('backup@example.com');
    const notice = await useRecovery(browser, page, 'backup_code', secrets.codes[0]!.toLowerCase().replace('-', ' '));
    expect(notice.text).toContain('You have 9 backup codes left.');
    const continued = await browser.submit(notice.text.match(/action="([^"]*\/recovery-notice)"/)![1]!, { _csrf: notice.text.match(/name="_csrf" value="([^"]+)"/)![1]! });
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, continued));
    expect(claims.acr).toBe(TWO_FA);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    const account = await accountOf('backup@example.com');
    expect(await app.container.stores.recoveryCodes.remaining(account.id)).toEqual({ codes: 9, key: true });
    const alerts = await notifications(app, 'backup@example.com');
    expect(alerts.at(-1)!.text).toContain('A backup code or your recovery key was used to sign in to your account: a backup code (9 left)');

    // The same code again: refused, nothing signed in.
    const again = await atFactorStep('backup@example.com');
    const refused = await useRecovery(again.browser, again.page, 'backup_code', secrets.codes[0]!);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('That code is not right or was already used');
    expect(refused.location).toBeUndefined();

    // Down to 3: the page warns, and so does the email.
    const recovery = app.container.factorRegistry.recovery()!;
    for (const code of secrets.codes.slice(1, 7)) await recovery.verify(account.id, 'backup_code', code, Date.now());
    const low = await submitRecovery(again.browser, refused, secrets.codes[7]!);
    expect(low.text).toContain('You have 2 backup code(s) left. Make new ones');
    expect((await notifications(app, 'backup@example.com')).at(-1)!.text).toContain('a backup code (2 left: make new ones soon)');
  });

  test('the recovery key works once and is then replaced: a new key and new backup codes are shown before the app', async () => {
    const { browser: b0, shown } = await enableTwoFactor('key@example.com', 'key-codes@example.org');
    const secrets = recoverySecretsOn(shown);
    await saveRecoveryCodes(b0, shown);
    const account = await accountOf('key@example.com');

    const { browser, attempt, page } = await atFactorStep('key@example.com');
    const replaced = await useRecovery(browser, page, 'recovery_key', secrets.recoveryKey);
    expect(showsRecoveryCodes(replaced)).toBe(true);
    expect(replaced.text).toContain('You used your recovery key, so it no longer works');
    const fresh = recoverySecretsOn(replaced);
    expect(fresh.recoveryKey).not.toBe(secrets.recoveryKey);
    // Nothing goes on to the app without the tick.
    expect((await saveRecoveryCodes(browser, replaced, false)).status).toBe(400);
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, replaced));
    expect(claims).toMatchObject({ acr: TWO_FA });
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect((await notifications(app, 'key@example.com')).at(-1)!.text).toContain('a new recovery key and new backup codes were made');

    // The old key and the old codes are dead; the new key works (once).
    const recovery = app.container.factorRegistry.recovery()!;
    await expect(recovery.verify(account.id, 'recovery_key', secrets.recoveryKey, Date.now())).rejects.toMatchObject({ code: 'wrong_recovery_code' });
    await expect(recovery.verify(account.id, 'backup_code', secrets.codes[0]!, Date.now())).rejects.toMatchObject({ code: 'wrong_recovery_code' });
    const again = await atFactorStep('key@example.com');
    const used = await useRecovery(again.browser, again.page, 'recovery_key', fresh.recoveryKey);
    expect(showsRecoveryCodes(used)).toBe(true);
    await expect(recovery.verify(account.id, 'recovery_key', fresh.recoveryKey, Date.now())).rejects.toMatchObject({ code: 'wrong_recovery_code' });
  });

  test('console: the first "Add a method" shows the codes; Regenerate (re-authenticated) kills the old set at once, one notification', async () => {
    const account = await createUser(app, 'console@example.com');
    const pages = new ConsolePages(app, { email: 'console@example.com', secondFactor: () => latestCode(app, 'console-codes@example.org') });
    const begin = await pages.visit('/account/security/add/email');
    const confirm = await pages.submit(begin, '/account/security/add/email', { email: 'console-codes@example.org' });
    const shown: Landing = await pages.submit(confirm, '/account/security/add/email/confirm', { action: 'finish', code: await latestCode(app, 'console-codes@example.org') });
    expect(shown.url).toBe(`${app.url}/account/security/recovery-codes`);
    const first = recoverySecretsOn(shown);
    expect(first.codes).toHaveLength(10);
    const unticked = await pages.submit(shown, '/account/security/recovery-codes', { action: 'saved' });
    expect(unticked.status).toBe(400);
    expect(recoverySecretsOn(unticked)).toEqual(first);
    const file = await pages.post(shown, '/account/security/recovery-codes', { action: 'download' });
    expect(String(file.headers['content-type'])).toMatch(/^text\/plain/);
    expect(file.text).toContain(first.codes[9]!);
    const security = await pages.submit(shown, '/account/security/recovery-codes', { action: 'saved', saved: 'yes' });
    expect(security.text).toContain('You have 10 backup codes left.');
    expect(security.text).toContain('Regenerate recovery key and backup codes');
    // Once acknowledged, they are not shown again.
    expect((await pages.visit('/account/security/recovery-codes')).url).toBe(`${app.url}/account/security`);

    const recovery = app.container.factorRegistry.recovery()!;
    await recovery.verify(account.id, 'backup_code', first.codes[0]!, Date.now());
    expect((await pages.security()).text).toContain('You have 9 backup codes left.');

    const before = (await notifications(app, 'console@example.com')).length;
    const confirmNew = await pages.visit('/account/security/recovery-codes/new');
    expect(confirmNew.text).toContain('Make a new recovery key and backup codes');
    const renewed = await pages.submit(confirmNew, '/account/security/recovery-codes/new');
    expect(renewed.url).toBe(`${app.url}/account/security/recovery-codes`);
    const second = recoverySecretsOn(renewed);
    expect(second.codes.some((c) => first.codes.includes(c))).toBe(false);
    const sent = (await notifications(app, 'console@example.com')).slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('New backup codes were made for your account');

    // The old set is dead at once, the new one works.
    await expect(recovery.verify(account.id, 'backup_code', first.codes[1]!, Date.now())).rejects.toMatchObject({ code: 'wrong_recovery_code' });
    await expect(recovery.verify(account.id, 'recovery_key', first.recoveryKey, Date.now())).rejects.toMatchObject({ code: 'wrong_recovery_code' });
    expect((await recovery.verify(account.id, 'backup_code', second.codes[1]!, Date.now())).remaining).toBe(9);

    // Removing the last factor turns 2FA off: the set goes with it.
    await pages.submit(renewed, '/account/security/recovery-codes', { action: 'saved', saved: 'yes' });
    const [factor] = await pages.factors();
    await pages.remove(factor!.id);
    expect(await app.container.stores.recoveryCodes.remaining(account.id)).toEqual({ codes: 0, key: false });
  });

  test('Regenerate is refused without a recent re-authentication (403, nothing changed, nobody notified)', async () => {
    const { browser: b0, shown } = await enableTwoFactor('stale@example.com', 'stale-codes@example.org');
    const secrets = recoverySecretsOn(shown);
    await saveRecoveryCodes(b0, shown);
    const account = await accountOf('stale@example.com');
    const pages = new ConsolePages(app, { email: 'stale@example.com', secondFactor: () => latestCode(app, 'stale-codes@example.org') });
    const confirmNew = await pages.visit('/account/security/recovery-codes/new');
    const time = new TimeShift();
    try {
      time.advance(6 * 60_000);
      const before = (await notifications(app, 'stale@example.com')).length;
      const refused = await pages.post(confirmNew, '/account/security/recovery-codes/new');
      expect(refused.status).toBe(403);
      expect((await notifications(app, 'stale@example.com')).length).toBe(before);
      const recovery = app.container.factorRegistry.recovery()!;
      expect((await recovery.verify(account.id, 'backup_code', secrets.codes[0]!, Date.now())).remaining).toBe(9);
    } finally {
      time.restore();
    }
  });
});

const backends = await appBackends('recovery codes concurrency', { instances: 2, logger: log.logger });

describe.each(backends)('backup codes under $name', ({ start }) => {
  let apps: [TestApp, TestApp];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ apps, close } = await start());
  });
  afterAll(() => close());

  async function accountWithCodes(email: string, codesTo: string): Promise<{ account: Account; codes: string[]; recoveryKey: string }> {
    const account = await createUser(apps[0], email);
    const module = apps[0].container.factorRegistry.module('email')!;
    const env = { account, ip: '127.0.0.1', now: Date.now() };
    const pending = await module.beginEnrolment(env, { email: codesTo });
    await module.finishEnrolment(env, pending, { code: codeIn(await lastOutboxMessage(apps[0], codesTo)) });
    const recovery = apps[0].container.factorRegistry.recovery()!;
    const secrets = recovery.generate();
    await recovery.install(account.id, secrets, Date.now());
    return { account, codes: secrets.codes, recoveryKey: secrets.recoveryKey };
  }

  /** A sign-in on `app` at "Use a backup code"; returns how to post a code. */
  async function atBackupCodeStep(app: TestApp, email: string, method: 'backup_code' | 'recovery_key' = 'backup_code') {
    const config = await discover(app, await registerWebClient(app));
    const browser = new Browser(app.url);
    const page = await submitPassword(browser, await openSignIn(browser, (await authorizationRequest(config, 'openid')).url), email);
    const uid = page.url.split('/').pop()!;
    const csrf = page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    const list = await browser.submit(`/interaction/${uid}/factor`, { _csrf: csrf, action: 'other' });
    if (!list.text.includes('Use a backup code')) throw new Error(`${page.url} ${page.status}\n${page.text.slice(0, 3000)}\n---\n${list.text.match(/<h1>.*<\/h1>|Error code: <code>[^<]*/g)}`);
    const form = await browser.submit(`/interaction/${uid}/choose`, { _csrf: csrf, recovery: method });
    expect(form.text).toContain(method === 'backup_code' ? 'Backup code' : 'Recovery key');
    return (code: string) => browser.post(`/interaction/${uid}/recovery`, { _csrf: csrf, action: 'verify', code });
  }

  test('one backup code used 50 times in parallel, from four sign-ins on two instances: exactly one success', async () => {
    const { account, codes } = await accountWithCodes('parallel-backup@example.com', 'parallel-backup-codes@example.org');
    // A few sign-ins (more would meet the password throttle), on both instances.
    const posts: ((code: string) => ReturnType<Browser['post']>)[] = [];
    for (let i = 0; i < 4; i++) posts.push(await atBackupCodeStep(apps[i % 2]!, 'parallel-backup@example.com'));
    const usedBefore = log.lines.filter((l) => l.event === 'factor.recovery_used' && l.accountId === account.id).length;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => posts[i % posts.length]!(codes[0]!)));
    expect(answers.every((a) => a.status < 500)).toBe(true);
    expect(answers.filter((a) => a.status === 303)).toHaveLength(1);
    expect(log.lines.filter((l) => l.event === 'factor.recovery_used' && l.accountId === account.id).length - usedBefore).toBe(1);
    expect(await apps[0].container.stores.recoveryCodes.remaining(account.id)).toEqual({ codes: 9, key: true });
  });

  test('one recovery key used 50 times in parallel, from four sign-ins on two instances: exactly one success', async () => {
    const { account, recoveryKey } = await accountWithCodes('parallel-key@example.com', 'parallel-key-codes@example.org');
    const posts: ((code: string) => ReturnType<Browser['post']>)[] = [];
    for (let i = 0; i < 4; i++) posts.push(await atBackupCodeStep(apps[i % 2]!, 'parallel-key@example.com', 'recovery_key'));
    const usedBefore = log.lines.filter((l) => l.event === 'factor.recovery_used' && l.accountId === account.id).length;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => posts[i % posts.length]!(recoveryKey)));
    expect(answers.every((a) => a.status < 500)).toBe(true);
    expect(answers.filter((a) => a.status === 303)).toHaveLength(1);
    expect(log.lines.filter((l) => l.event === 'factor.recovery_used' && l.accountId === account.id).length - usedBefore).toBe(1);
  });
});
