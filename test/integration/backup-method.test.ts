import { createHash } from 'node:crypto';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { appBackends } from '../support/backends.js';
import { ConsolePages, latestCode, latestMessage, notifications, TimeShift } from '../support/console.js';
import { totpCode } from '../support/totp.js';

const MINUTE = 60_000;

/** The backup method in the account console (/account/security/backup), through HTTP against the real app. */
describe('the backup method in the account console', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  // Every test sends from 127.0.0.1, and sends are limited per IP (20 an hour): each test starts afresh.
  beforeEach(() => app.container.stores.counters.reset(`send:ip:${createHash('sha256').update('127.0.0.1').digest('base64url')}`));

  /** A person with 2FA on (an authenticator app), signed in to the console just now. */
  async function personWith2fa(email: string): Promise<ConsolePages> {
    await createUser(app, email);
    let secret = '';
    const pages = new ConsolePages(app, { email, secondFactor: () => totpCode(secret, Date.now() + 30_000) });
    ({ secret } = await pages.addTotp());
    return pages;
  }
  const accountId = async (email: string) => (await app.container.stores.accounts.findByEmail(email))!.id;
  const stored = async (email: string) => app.container.stores.backupMethods.get(await accountId(email));
  const auditTypes = async (email: string) => (await app.container.audit.list(await accountId(email))).map((e) => e.type);
  const outboxFor = async (to: string) => (await app.container.delivery.outbox!.read()).filter((e) => e.to === to);

  test('not offered without 2FA; with it, "Set up backup method" and the recovery-key tip', async () => {
    await createUser(app, 'no2fa@example.com');
    const without = new ConsolePages(app, { email: 'no2fa@example.com' });
    expect(await without.backupSection()).toBeUndefined();
    const refused = await without.visit('/account/security/backup');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Set up a sign-in method (two-factor authentication) first');

    const pages = await personWith2fa('offered@example.com');
    const section = await pages.backupSection();
    expect(section).toContain('Set up backup method');
    expect(section).toContain("Tip: If you can't authenticate, use your recovery key.");
    const chooser = await pages.visit('/account/security/backup');
    expect(chooser.text).toContain('Phone number');
    expect(chooser.text).toContain('Email address');
  });

  test('a phone number by text message: the form of the article, a wrong code, then the right one; one notification, audited', async () => {
    const pages = await personWith2fa('text@example.com');
    const form = await pages.backupForm('phone');
    expect(form.text).toContain('Text message');
    expect(form.text).toContain('Phone call');
    expect(form.text).toContain('<option value="GB">United Kingdom (+44)</option>');
    expect(form.text).toContain('Use an email address instead');

    const before = (await notifications(app, 'text@example.com')).length;
    const codePage = await pages.submit(form, '/account/security/backup/phone', { channel: 'sms', country: 'GB', number: '07400 222001' });
    expect(codePage.url).toBe(`${app.url}/account/security/backup/confirm`);
    expect(codePage.text).toContain('We sent a 6-digit code to <strong>+44•••••••001</strong>');
    expect(codePage.text).toContain('Resend code');
    expect(codePage.text).toContain('Start again');
    const code = await latestCode(app, '+447400222001');
    expect((await latestMessage(app, '+447400222001')).kind).toBe('sms');

    const wrong = await pages.confirmBackup(codePage, code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That code is not right');
    expect(await stored('text@example.com')).toBeNull();

    const done = await pages.confirmBackup(codePage, code);
    expect(done.url).toBe(`${app.url}/account/security?done=backup`);
    expect(done.text).toContain('successfully set up your backup method.');
    expect(await pages.backupSection()).toContain('Text message to +44•••••••001');
    expect(await pages.backupSection()).toContain('Change backup method');
    expect(await stored('text@example.com')).toMatchObject({ kind: 'phone', destination: '+447400222001', channel: 'sms' });

    const sent = (await notifications(app, 'text@example.com')).slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('The backup method of your account was changed: Text message to +44•••••••001');
    expect(await auditTypes('text@example.com')).toContain('backup_method.set');
  });

  test('a phone number by phone call: the code is spoken', async () => {
    const pages = await personWith2fa('call@example.com');
    await pages.setUpBackup({ channel: 'voice', country: 'GB', number: '+44 7400 222002', to: '+447400222002' });
    expect((await latestMessage(app, '+447400222002')).kind).toBe('voice');
    expect(await pages.backupSection()).toContain('Phone call to +44•••••••002');
  });

  test('change phone → email → another email: the login email and the old destination hear of each change', async () => {
    const pages = await personWith2fa('changes@example.com');
    await pages.setUpBackup({ channel: 'sms', country: 'GB', number: '07400 222003', to: '+447400222003' });
    const login = (await notifications(app, 'changes@example.com')).length;

    const toEmail = await pages.setUpBackup({ email: 'Changes.Backup@example.org' });
    expect(toEmail.text).toContain('Email to C***@example.org');
    expect(await stored('changes@example.com')).toMatchObject({ kind: 'email', destination: 'Changes.Backup@example.org', channel: null });
    const phoneNotice = (await outboxFor('+447400222003')).at(-1)!;
    expect(phoneNotice.kind).toBe('sms');
    expect(phoneNotice.text).toContain('The backup method of your account was changed: Email to C***@example.org, replacing Text message to +44•••••••003');

    await pages.setUpBackup({ email: 'other.backup@example.net' });
    const oldEmail = await notifications(app, 'Changes.Backup@example.org');
    expect(oldEmail).toHaveLength(1);
    expect(oldEmail[0]!.text).toContain('Email to o***@example.net, replacing Email to C***@example.org');
    expect(await notifications(app, 'other.backup@example.net')).toHaveLength(0);

    const toLogin = (await notifications(app, 'changes@example.com')).slice(login);
    expect(toLogin).toHaveLength(2);
    expect(toLogin[1]!.text).toContain('The backup method of your account was changed: Email to o***@example.net');
    const types = await auditTypes('changes@example.com');
    expect(types.filter((t) => t === 'backup_method.changed')).toHaveLength(2);
    expect(types.filter((t) => t === 'backup_method.set')).toHaveLength(1);
  });

  test('refused: the login email in another case, and a number equal to a phone factor written differently; nothing sent', async () => {
    const pages = await personWith2fa('user@example.com');
    const sameLogin = await pages.beginBackup({ email: 'USER@Example.com' });
    expect(sameLogin.status).toBe(400);
    expect(sameLogin.text).toContain('use the same email address that you use to sign in. Use a phone number instead');
    expect(sameLogin.text).toContain('value="USER@Example.com"');
    expect(await outboxFor('USER@Example.com')).toHaveLength(0);

    // Dots are not guessed away: another address at the same provider is another mailbox.
    const dotted = await pages.beginBackup({ email: 'u.ser@example.com' });
    expect(dotted.url).toMatch(/\/backup\/confirm$/);

    await pages.addPhone('GB', '+44 20 7946 0958', '+442079460958');
    const samePhone = await pages.beginBackup({ channel: 'sms', country: 'GB', number: '02079460958', to: '+442079460958' });
    expect(samePhone.status).toBe(400);
    expect(samePhone.text).toContain('This number is already a sign-in method of your account. Use an email address instead');
    expect((await outboxFor('+442079460958')).filter((e) => e.text.includes('code'))).toHaveLength(1);
    expect(await stored('user@example.com')).toBeNull();
  });

  test('refused the other way: a phone factor with the number of the backup phone', async () => {
    const pages = await personWith2fa('reverse@example.com');
    await pages.setUpBackup({ channel: 'voice', country: 'GB', number: '07400 222004', to: '+447400222004' });
    const sent = (await outboxFor('+447400222004')).length;
    const begin = await pages.visit('/account/security/add/phone');
    const refused = await pages.submit(begin, '/account/security/add/phone', { country: 'GB', number: '+447400222004', channel: 'sms' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('This number is your backup method.');
    expect(await outboxFor('+447400222004')).toHaveLength(sent);
    expect((await app.container.stores.factors.listForAccount(await accountId('reverse@example.com'))).map((f) => f.kind)).toEqual(['totp']);
  });

  test('bad input is shown on the page, never a 500: bad number, invalid email, no channel, a repeated field, an expired setup', async () => {
    const pages = await personWith2fa('inputs@example.com');
    const badNumber = await pages.beginBackup({ channel: 'sms', country: 'GB', number: '123', to: '' });
    expect(badNumber.status).toBe(400);
    expect(badNumber.text).toContain('Enter a valid phone number for the country you chose.');
    const badEmail = await pages.beginBackup({ email: 'not-an-address' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.text).toContain('Enter a valid email address.');

    const form = await pages.backupForm('phone');
    const noChannel = await pages.submit(form, '/account/security/backup/phone', { country: 'GB', number: '07400 222009' });
    expect(noChannel.status).toBe(400);
    expect(noChannel.text).toContain('Choose how to receive the code: Text message or Phone call.');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const repeated = await pages.browser.postRaw('/account/security/backup/email', `_csrf=${encodeURIComponent(csrf)}&email=a%40example.org&email=b%40example.org`);
    expect(repeated.status).toBe(400);
    expect(repeated.text).toContain('Fill in each field of the form once');
    const unknownKind = await pages.post(form, '/account/security/backup/fax', { number: '1' });
    expect(unknownKind.status).toBe(404);

    // "Start again" forgets the setup: its code page and its code no longer work.
    const codePage = await pages.beginBackup({ email: 'restart@example.org' });
    const code = await latestCode(app, 'restart@example.org');
    const again = await pages.backupCodePageAction(codePage, 'restart');
    expect(again.url).toBe(`${app.url}/account/security/backup`);
    const expired = await pages.confirmBackup(codePage, code);
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('This setup has expired');
    expect((await pages.visit('/account/security/backup/confirm')).status).toBe(400);
    expect(await stored('inputs@example.com')).toBeNull();
  });

  test('"Resend code" sends a new code; the previous one no longer works', async () => {
    const pages = await personWith2fa('resend@example.com');
    const codePage = await pages.beginBackup({ email: 'resend-backup@example.org' });
    const first = await latestCode(app, 'resend-backup@example.org');
    const resent = await pages.backupCodePageAction(codePage, 'resend');
    expect(resent.text).toContain('We sent a new code.');
    const second = await latestCode(app, 'resend-backup@example.org');
    expect(await outboxFor('resend-backup@example.org')).toHaveLength(2);
    if (first !== second) expect((await pages.confirmBackup(resent, first)).status).toBe(400);
    expect((await pages.confirmBackup(resent, second)).text).toContain('successfully set up your backup method.');
  });

  test('5 wrong codes, then even the right one waits (429), shown on the page', async () => {
    const pages = await personWith2fa('guess@example.com');
    const codePage = await pages.beginBackup({ email: 'guess-backup@example.org' });
    const code = await latestCode(app, 'guess-backup@example.org');
    const wrong = code === '000000' ? '111111' : '000000';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await pages.confirmBackup(codePage, wrong)).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400]);
    const throttled = await pages.confirmBackup(codePage, code);
    expect(throttled.status).toBe(429);
    expect(throttled.text).toContain('Too many wrong codes.');
    expect(await stored('guess@example.com')).toBeNull();
  });

  test('a POST without the CSRF token is refused (403); nothing is sent or stored', async () => {
    const pages = await personWith2fa('csrf@example.com');
    await pages.backupForm('email');
    const refused = await pages.browser.post('/account/security/backup/email', { email: 'csrf-backup@example.org' });
    expect(refused.status).toBe(403);
    expect(await outboxFor('csrf-backup@example.org')).toHaveLength(0);
    expect(await stored('csrf@example.com')).toBeNull();
  });

  test('without a re-authentication in the last 5 minutes: 403, nothing stored, nobody notified', async () => {
    const pages = await personWith2fa('stale@example.com');
    const codePage = await pages.beginBackup({ email: 'stale-backup@example.org' });
    const code = await latestCode(app, 'stale-backup@example.org');
    const notified = (await notifications(app, 'stale@example.com')).length;
    const time = new TimeShift();
    try {
      time.advance(5 * MINUTE + 1_000);
      const refused = await pages.post(codePage, '/account/security/backup/confirm', { action: 'finish', code });
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('Sign in again');
      const form = await pages.post(codePage, '/account/security/backup/email', { email: 'stale-other@example.org' });
      expect(form.status).toBe(403);
    } finally {
      time.restore();
    }
    expect(await stored('stale@example.com')).toBeNull();
    expect(await outboxFor('stale-other@example.org')).toHaveLength(0);
    expect(await notifications(app, 'stale@example.com')).toHaveLength(notified);
  });
});

const PARALLEL = 50;
const backends = await appBackends('backup method setup concurrency', { instances: 1 });

describe.each(backends)('one setup code sent by many requests at once, under $name', ({ start }) => {
  let app: TestApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({
      apps: [app],
      close,
    } = await start());
  });
  afterAll(() => close());

  test(`${PARALLEL} parallel POSTs of one setup code: exactly one success, one notification, one audit entry`, async () => {
    await createUser(app, 'race@example.com');
    let secret = '';
    const pages = new ConsolePages(app, { email: 'race@example.com', secondFactor: () => totpCode(secret, Date.now() + 30_000) });
    ({ secret } = await pages.addTotp());
    const codePage = await pages.beginBackup({ channel: 'sms', country: 'GB', number: '07400 222010', to: '+447400222010' });
    const code = await latestCode(app, '+447400222010');
    const before = (await notifications(app, 'race@example.com')).length;
    const answers = await Promise.all(Array.from({ length: PARALLEL }, () => pages.post(codePage, '/account/security/backup/confirm', { action: 'finish', code })));
    const won = answers.filter((a) => a.status === 303 && a.location === '/account/security?done=backup');
    expect(won).toHaveLength(1);
    expect(answers.every((a) => a.status < 500)).toBe(true);
    const id = (await app.container.stores.accounts.findByEmail('race@example.com'))!.id;
    expect(await app.container.stores.backupMethods.get(id)).toMatchObject({ destination: '+447400222010' });
    expect((await app.container.audit.list(id)).filter((e) => e.type.startsWith('backup_method.'))).toHaveLength(1);
    expect((await notifications(app, 'race@example.com')).length - before).toBe(1);
  });
});
