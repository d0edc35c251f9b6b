import type { Configuration } from 'openid-client';
import type { AuditEvent } from '../../src/store/ports.js';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { Browser, inputValue } from '../support/browser.js';
import { openSignIn } from '../support/flow.js';
import { ConsolePages, isSignInPage } from '../support/console.js';
import { lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, openLoginForm, registerWebClient } from '../support/rp.js';
import { formFor, linkTo, requestReset, resetLinkIn } from '../support/sign-up.js';
import { totpCode } from '../support/totp.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const NEW_PASSWORD = 'lantern orchard gravel tide';

describe('the audit log: events written, and "Recent security activity" in the console', () => {
  let app: TestApp;
  let rp: Configuration;
  beforeAll(async () => {
    app = await startTestApp();
    rp = await discover(app, await registerWebClient(app));
  });
  afterAll(() => app.close());

  const idOf = async (email: string) => (await app.container.stores.accounts.findByEmail(email))!.id;
  // Completed sign-ins are the sign-in flow's events (interaction/), not this suite's.
  const eventsOf = async (email: string): Promise<AuditEvent[]> =>
    (await app.container.stores.audit.listForAccount(await idOf(email), 100)).filter((e) => e.type !== 'signin.completed');
  const typesOf = async (email: string) => (await eventsOf(email)).map((e) => e.type);
  /** The events of the activity page, as a person reads them (one text line per entry, newest first). */
  const activityEntries = (html: string) =>
    [...html.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()).filter((e) => !e.startsWith('Signed in '));

  test('wrong passwords of an existing account are audited, then the lock; an unknown email leaves no event', async () => {
    const account = await createUser(app, 'guessed@example.com');
    const form = await openLoginForm(new Browser(app.url), (await authorizationRequest(rp, 'openid')).url);
    for (let i = 0; i < 5; i++) expect((await form.attempt('Guessed@example.com', `wrong guess ${i}`, { 'User-Agent': FIREFOX })).status).toBe(401);
    // Throttled now: refused before the password is checked, so not a wrong password.
    expect((await form.attempt('guessed@example.com', 'wrong guess 6')).status).toBe(429);

    const events = await eventsOf('guessed@example.com');
    expect(events.map((e) => e.type)).toEqual(['signin.locked', ...Array(5).fill('signin.failed')]);
    expect(events.every((e) => e.accountId === account.id && e.actor === 'user' && e.ip === '127.0.0.1')).toBe(true);
    expect(events[0]!.detail).toBe('5 wrong passwords in a row; sign-ins without a known browser wait 30 seconds');
    expect(JSON.stringify(events)).not.toContain('wrong guess');

    const everyEvent = async () =>
      (await Promise.all((await app.container.stores.accounts.list()).map((a) => app.container.stores.audit.listForAccount(a.id, 100)))).flat().length;
    const before = await everyEvent();
    const other = await openLoginForm(new Browser(app.url), (await authorizationRequest(rp, 'openid')).url);
    for (let i = 0; i < 5; i++) expect((await other.attempt('nobody@example.com', `wrong guess ${i}`)).status).toBe(401);
    expect(await everyEvent()).toBe(before);
    expect(await app.container.stores.accounts.findByEmail('nobody@example.com')).toBeNull();
  });

  test('wrong second-factor answers are audited, and the wait they start', async () => {
    await createUser(app, 'factor-guess@example.com');
    const pages = new ConsolePages(app, { email: 'factor-guess@example.com' });
    await pages.addTotp();
    const browser = new Browser(app.url);
    const { submitPassword, submitCode } = await import('../support/flow.js');
    let page = await submitPassword(browser, await openSignIn(browser, (await authorizationRequest(rp, 'openid')).url), 'factor-guess@example.com');
    for (let i = 0; i < 5; i++) page = await submitCode(browser, page, '000000');
    expect(page.status).toBe(400);
    const types = await typesOf('factor-guess@example.com');
    expect(types.filter((t) => t === 'factor.failed')).toHaveLength(5);
    // The fifth wrong answer starts the wait: audited once, by Latchkey itself, beside that failure.
    expect(types.filter((t) => t === 'factor.locked')).toHaveLength(1);
    expect(types.slice(0, 2)).toContain('factor.locked');
    expect((await eventsOf('factor-guess@example.com')).find((e) => e.type === 'factor.locked')!.actor).toBe('system');
  });

  test('a password reset by emailed link is audited with the address and browser it came from', async () => {
    await createUser(app, 'forgetful@example.com');
    const browser = new Browser(app.url);
    const signIn = await openSignIn(browser, (await authorizationRequest(rp, 'openid')).url);
    await requestReset(browser, linkTo(signIn, 'Forgot password'), 'forgetful@example.com');
    expect(await typesOf('forgetful@example.com')).toEqual([]);

    const link = resetLinkIn((await lastOutboxMessage(app, 'forgetful@example.com')).text);
    const page = await browser.follow(link.pathname + link.search);
    const { action, csrf } = formFor(page, '/password/reset');
    const done = await browser.post(action, { _csrf: csrf, token: inputValue(page.text, 'token')!, password: NEW_PASSWORD }, { 'User-Agent': FIREFOX });
    expect(done.status).toBeLessThan(400);

    const [event, ...rest] = await eventsOf('forgetful@example.com');
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ type: 'password.reset', actor: 'user', ip: '127.0.0.1', userAgent: FIREFOX, detail: 'every earlier sign-in was ended' });
    expect(JSON.stringify(event)).not.toContain(NEW_PASSWORD);
    expect(JSON.stringify(event)).not.toContain(link.searchParams.get('token')!);
  });

  test('console changes are audited; the activity page lists them newest first for the owner only', async () => {
    await createUser(app, 'owner@example.com');
    let secret = '';
    const owner = new ConsolePages(app, { email: 'owner@example.com', secondFactor: () => totpCode(secret, Date.now()) });
    expect((await owner.visit('/account')).status).toBe(200);

    // A wrong password first, from the sign-in page of an application.
    const form = await openLoginForm(new Browser(app.url), (await authorizationRequest(rp, 'openid')).url);
    expect((await form.attempt('owner@example.com', 'not my password')).status).toBe(401);

    ({ secret } = await owner.addTotp());
    await owner.addEmail('owner.codes@example.com');
    const [totp, email] = await owner.factors();
    await owner.rename(totp!.id, 'Phone in my desk');
    await owner.remove(email!.id);
    const confirm = await owner.visit('/account/security/recovery-codes/new');
    const shown = await owner.submit(confirm, '/account/security/recovery-codes/new');
    expect(shown.text).toContain('<h1>Save your recovery key and backup codes</h1>');
    await owner.saveRecoveryCodesIfShown(shown);

    const events = await eventsOf('owner@example.com');
    expect(events.map((e) => [e.type, e.detail])).toEqual([
      ['recovery_codes.issued', 'regenerated; the old ones no longer work'],
      ['factor.removed', 'Email to o***@example.com'],
      ['factor.renamed', 'Authenticator app is now called “Phone in my desk”'],
      ['factor.added', 'Email to o***@example.com'],
      ['recovery_codes.issued', 'with the first sign-in method'],
      ['factor.added', 'Authenticator app'],
      ['signin.failed', null],
    ]);
    // Details say what changed, never a secret or a code.
    const stored = JSON.stringify(events);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain('not my password');

    // Support's reset shows who did it (written here directly: cli-audit.test.ts runs the real one).
    await app.container.audit.record(await idOf('owner@example.com'), '2fa.reset', { actor: 'support', actorName: 'Sam', userAgent: FIREFOX, ip: '192.0.2.4' }, 'by support (Sam): lost phone');

    const security = await owner.security();
    expect(security.text).toContain('href="/account/activity"');
    const activity = await owner.visit('/account/activity');
    expect(activity.status).toBe(200);
    expect(activity.text).toContain('<h1>Recent security activity</h1>');
    const entries = activityEntries(activity.text);
    expect(entries).toHaveLength(8);
    expect(entries[0]).toMatch(
      /^Two-factor authentication reset \(by support: Sam\) by support \(Sam\): lost phone \d{4}-\d\d-\d\d \d\d:\d\d UTC · from 192\.0\.2\.4, Firefox on Linux$/,
    );
    expect(entries[1]).toMatch(/^New recovery key and backup codes made regenerated; the old ones no longer work \d{4}-\d\d-\d\d \d\d:\d\d UTC · from 127\.0\.0\.1/);
    expect(entries[3]).toContain('Sign-in method renamed Authenticator app is now called “Phone in my desk”');
    expect(entries[6]).toContain('Sign-in method added Authenticator app');
    expect(entries[7]).toMatch(/^Wrong password entered \d{4}-\d\d-\d\d \d\d:\d\d UTC · from 127\.0\.0\.1$/);
    expect(entries.slice(1).some((e) => e.includes('by support'))).toBe(false);
    expect(activity.text).toMatch(/<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z">/);

    // Another signed-in account sees its own log (at most its own sign-in), nothing of the owner's.
    await createUser(app, 'neighbour@example.com');
    const neighbour = new ConsolePages(app, { email: 'neighbour@example.com' });
    const theirs = await neighbour.visit('/account/activity');
    expect(theirs.status).toBe(200);
    expect(activityEntries(theirs.text)).toEqual([]);
    for (const leaked of ['Phone in my desk', 'Wrong password entered', 'Sam', 'o***@example.com']) expect(theirs.text).not.toContain(leaked);
    // Nothing in the request chooses the account.
    expect(activityEntries((await neighbour.browser.get(`/account/activity?account=${await idOf('owner@example.com')}`)).text)).toEqual([]);
  });

  test('signed out, the activity page sends the browser to sign in, and back to it afterwards', async () => {
    await createUser(app, 'returning@example.com');
    const browser = new Browser(app.url);
    const first = await browser.get('/account/activity');
    expect(first.status).toBe(303);
    expect(first.location).toMatch(/^\/auth\?/);
    const signIn = await browser.follow(first.location!);
    expect(isSignInPage(signIn)).toBe(true);
    expect(signIn.text).not.toContain('Recent security activity');

    const pages = new ConsolePages(app, { email: 'returning@example.com', password: TEST_PASSWORD }, browser);
    const landed = await pages.signIn(signIn);
    expect(landed.url).toBe(`${app.url}/account/activity`);
    expect(landed.text).toContain('<h1>Recent security activity</h1>');
  });
});
