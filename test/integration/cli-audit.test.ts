import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { createFileOutbox } from '../../src/delivery/outbox.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { createUser, startTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { latchkeyCli, printedJson } from '../support/cli.js';
import { ConsolePages } from '../support/console.js';
import { authorizationRequest, discover, exchangeCode, registerWebClient, signInThroughBrowser } from '../support/rp.js';

interface PrintedEvent {
  at: string;
  type: string;
  title: string;
  actor: string;
  actor_name: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

describe('latchkey audit and latchkey users reset-2fa', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cli-audit-'));
  const env = { DATA_DIR: dataDir, LATCHKEY_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
  const latchkey = (...args: string[]) => latchkeyCli(env, ...args);
  /** A server on the same SQLite file as the command, as in production. */
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ stores: createSqliteStores(join(dataDir, 'latchkey.sqlite')) });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const account = async (email: string) => (await app.container.stores.accounts.findByEmail(email))!;
  /** What the command's own container sent: it writes DATA_DIR/outbox.jsonl (no SMTP or webhook here). */
  const cliOutbox = () => createFileOutbox(join(dataDir, 'outbox.jsonl')).read();

  test('audit prints the events newest first as JSON; --limit bounds them; bad input is refused with the reason', async () => {
    const { id } = await createUser(app, 'logged@example.com');
    for (const [type, detail] of [['factor.added', 'Authenticator app'], ['factor.renamed', 'Authenticator app is now called “Desk”']] as const) {
      await app.container.audit.record(id, type, { ip: '192.0.2.1', userAgent: 'curl/8.0' }, detail);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    const events = printedJson<PrintedEvent[]>(await latchkey('audit', '--email', 'Logged@Example.com'));
    expect(events).toEqual([
      { at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), type: 'factor.renamed', title: 'Sign-in method renamed', actor: 'user', actor_name: null, ip: '192.0.2.1', user_agent: 'curl/8.0', detail: 'Authenticator app is now called “Desk”' },
      expect.objectContaining({ type: 'factor.added', title: 'Sign-in method added', detail: 'Authenticator app' }),
    ]);
    expect(Date.parse(events[0]!.at)).toBeGreaterThanOrEqual(Date.parse(events[1]!.at));
    expect(printedJson<PrintedEvent[]>(await latchkey('audit', '--email', 'logged@example.com', '--limit', '1')).map((e) => e.type)).toEqual(['factor.renamed']);

    // An account without events prints an empty list; one that does not exist is an error.
    await createUser(app, 'quiet@example.com');
    expect(printedJson(await latchkey('audit', '--email', 'quiet@example.com'))).toEqual([]);
    expect(await latchkey('audit', '--email', 'nobody@example.com')).toEqual({ code: 1, out: '', err: 'Error: There is no account with the email address nobody@example.com.' });
    for (const limit of ['0', '-1', 'ten', '1001', '2.5']) {
      expect(await latchkey('audit', '--email', 'logged@example.com', '--limit', limit)).toEqual({
        code: 1,
        out: '',
        err: `Error: --limit must be a whole number from 1 to 1000, not "${limit}".`,
      });
    }
    const missing = await latchkey('audit');
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain("required option '--email <email>' not specified");
  });

  test('reset-2fa removes every way in, ends sessions and tokens, requires enrolment, notifies and audits who and why', async () => {
    const email = 'lost@example.com';
    const { id } = await createUser(app, email);
    // Tokens from an application, signed in with the password (before 2FA was on).
    const rp = await discover(app, await registerWebClient(app));
    const attempt = await authorizationRequest(rp, 'openid email');
    const tokens = await exchangeCode(rp, attempt, await signInThroughBrowser(new Browser(app.url), attempt.url, email));
    expect(await oidc.fetchUserInfo(rp, tokens.access_token, id)).toMatchObject({ sub: id });
    // The console: an authenticator app (and so a recovery set), and a backup method.
    const pages = new ConsolePages(app, { email });
    await pages.addTotp();
    await app.container.stores.backupMethods.set({ accountId: id, kind: 'phone', destination: '+447700900158', channel: 'sms', verifiedAt: Date.now() });
    expect(await app.container.stores.factors.listForAccount(id)).toHaveLength(1);
    expect(await app.container.stores.recoveryCodes.get(id)).not.toBeNull();
    expect((await pages.browser.get('/account')).status).toBe(200);

    const run = await latchkey('users', 'reset-2fa', '--email', 'Lost@Example.com', '--reason', '  Lost phone and codes; ID checked on call #4411  ', '--by', 'Sam');
    expect(printedJson(run)).toEqual({
      id,
      email,
      factors_removed: 1,
      recovery_codes_removed: true,
      backup_method_removed: true,
      sessions_ended: true,
      enrolment_required: true,
      by: 'Sam',
      reason: 'Lost phone and codes; ID checked on call #4411',
    });

    // Every way in is gone, and the next sign-in must set up a factor.
    expect(await app.container.stores.factors.listForAccount(id)).toEqual([]);
    expect(await app.container.stores.recoveryCodes.get(id)).toBeNull();
    expect(await app.container.stores.backupMethods.get(id)).toBeNull();
    const after = await account(email);
    expect(after.enrolmentRequired).toBe(true);
    expect(after.sessionsValidAfter).toBeGreaterThan(Date.now() - 60_000);

    // The console session and the application's tokens from before no longer work.
    const consolePage = await pages.browser.get('/account');
    expect(consolePage.status).toBe(303);
    expect(consolePage.location).toMatch(/^\/auth\?/);
    await expect(oidc.fetchUserInfo(rp, tokens.access_token, id)).rejects.toThrow();

    // The owner was told at the login address, the old backup phone too.
    const sent = await cliOutbox();
    const mail = sent.filter((e) => e.to === email && e.kind === 'email');
    expect(mail.at(-1)!.subject).toBe('Latchkey security alert: 2-factor authentication (2FA) was reset on your account');
    expect(sent.some((e) => e.to === '+447700900158')).toBe(true);

    // Audited: by support, with the name and the reason; latchkey audit shows it first.
    const [event] = await app.container.stores.audit.listForAccount(id, 1);
    expect(event).toMatchObject({ type: '2fa.reset', actor: 'support', actorName: 'Sam' });
    expect(event!.detail).toContain('Lost phone and codes; ID checked on call #4411');
    expect(printedJson<PrintedEvent[]>(await latchkey('audit', '--email', email))[0]).toMatchObject({
      type: '2fa.reset',
      title: 'Two-factor authentication reset',
      actor: 'support',
      actor_name: 'Sam',
    });
  });

  test('reset-2fa names the operating-system user when --by is not given', async () => {
    const { id } = await createUser(app, 'byos@example.com');
    expect(printedJson(await latchkey('users', 'reset-2fa', '--email', 'byos@example.com', '--reason', 'locked out'))).toMatchObject({
      factors_removed: 0,
      recovery_codes_removed: false,
      backup_method_removed: false,
      by: userInfo().username,
    });
    expect((await app.container.stores.audit.listForAccount(id, 1))[0]).toMatchObject({ actor: 'support', actorName: userInfo().username });
  });

  test('reset-2fa refuses a missing or bad reason, a bad name and an unknown email, changing nothing', async () => {
    const email = 'kept@example.com';
    const { id } = await createUser(app, email);
    await app.container.stores.backupMethods.set({ accountId: id, kind: 'email', destination: 'kept.backup@example.net', channel: null, verifiedAt: Date.now() });
    const refused = async (args: string[], err: string | RegExp) => {
      const run = await latchkey('users', 'reset-2fa', ...args);
      expect(run.code).not.toBe(0);
      expect(run.out).toBe('');
      if (typeof err === 'string') expect(run.err).toBe(err);
      else expect(run.err).toMatch(err);
    };
    await refused(['--email', email], /required option '--reason <reason>' not specified/);
    await refused(['--email', email, '--reason', '   '], 'Error: --reason must not be empty.');
    await refused(['--email', email, '--reason', 'x'.repeat(501)], 'Error: --reason must be at most 500 characters (it has 501).');
    await refused(['--email', email, '--reason', 'lost\nphone'], 'Error: --reason must be one line of plain text (no control characters).');
    await refused(['--email', email, '--reason', 'lost phone', '--by', ' '], 'Error: --by must not be empty.');
    await refused(['--email', 'nobody@example.com', '--reason', 'lost phone', '--by', 'Sam'], 'Error: There is no account with the email address nobody@example.com.');
    await refused(['--reason', 'lost phone'], /required option '--email <email>' not specified/);

    expect(await app.container.stores.backupMethods.get(id)).not.toBeNull();
    expect((await account(email)).enrolmentRequired).toBeFalsy();
    expect((await account(email)).sessionsValidAfter).toBeUndefined();
    expect(await app.container.stores.audit.listForAccount(id, 10)).toEqual([]);
    // A reason of exactly 500 characters is accepted.
    expect((await latchkey('users', 'reset-2fa', '--email', email, '--reason', 'y'.repeat(500), '--by', 'Sam')).code).toBe(0);
  });
});
