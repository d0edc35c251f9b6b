import { createHash } from 'node:crypto';
import { DeliveryError } from '../../src/delivery/index.js';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { ConsolePages, latestCode, listedFactors, notifications } from '../support/console.js';
import { totpSecretOn } from '../support/flow.js';
import { captureLog, type CapturedLog } from '../support/log-capture.js';
import { totpCode } from '../support/totp.js';

const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

describe('managing second factors in the account console', () => {
  let app: TestApp;
  let log: CapturedLog;
  beforeAll(async () => {
    log = captureLog();
    app = await startTestApp({ logger: log.logger, hostname: 'localhost' });
  });
  afterAll(() => app.close());

  /** A person with an account and a console browser, freshly signed in (so allowed to make changes). */
  async function person(email: string): Promise<ConsolePages> {
    await createUser(app, email);
    const pages = new ConsolePages(app, { email });
    expect((await pages.visit('/account')).status).toBe(200);
    return pages;
  }

  /** Runs `change` and returns the notifications it sent to `email`: the test expects exactly one. */
  async function notified(email: string, change: () => Promise<unknown>) {
    const before = (await notifications(app, email)).length;
    await change();
    return (await notifications(app, email)).slice(before);
  }

  test('an authenticator app, end to end: QR code, key and link for "Can\'t scan?", a code that is checked, one notification', async () => {
    const pages = await person('totp@example.com');
    const security = await pages.security();
    expect(security.text).toContain('<h1>Protect your account</h1>');
    expect(security.text).toContain('Only your password protects your account');

    const chooser = await pages.visit('/account/security/add');
    expect(chooser.text).toContain('href="/account/security/add/totp"');
    expect(chooser.text).toContain('href="/account/security/add/email"');
    expect(chooser.text).toContain('href="/account/security/add/phone"');

    const begin = await pages.visit('/account/security/add/totp');
    const confirm = await pages.submit(begin, '/account/security/add/totp');
    expect(confirm.url).toBe(`${app.url}/account/security/add/totp/confirm`);
    expect(confirm.text).toMatch(/<img class="qr" src="data:image\/png;base64,[^"]{100,}"/);
    expect(confirm.text).toContain("Can't scan?");
    expect(confirm.text).toMatch(/<code class="secret">([A-Z2-7]{4} ){7}[A-Z2-7]{4}<\/code>/);
    expect(confirm.text).toContain('otpauth://totp/');
    expect(confirm.text).toContain('autocomplete="one-time-code"');
    expect(confirm.text).toContain('inputmode="numeric"');
    const secret = totpSecretOn(confirm);

    // The pending seed is kept server-side, sealed: no cookie carries it, the store holds no plaintext.
    const cookieValues = [pages.browser.cookie('lk.console'), pages.browser.cookie('lk.console-login'), pages.browser.cookie('lk.csrf')].join(' ');
    expect(cookieValues).not.toContain(secret);
    const stored = await app.container.stores.oidc.model('ConsoleSession').find(createHash('sha256').update(pages.browser.cookie('lk.console')!).digest('base64url'));
    expect(stored).toBeDefined();
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(0, 8));

    const wrongCode = totpCode(secret, Date.now()) === '000000' ? '111111' : '000000';
    const wrong = await pages.submit(confirm, '/account/security/add/totp/confirm', { action: 'finish', code: wrongCode });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That code is not right');
    expect(await pages.factors()).toEqual([]);

    const sent = await notified('totp@example.com', async () => {
      const done = await pages.browser.post('/account/security/add/totp/confirm', { _csrf: pagesCsrf(confirm), action: 'finish', code: totpCode(secret, Date.now()) }, { 'User-Agent': UA });
      expect(done.status).toBe(303);
      // The first factor: its recovery key and backup codes are shown next.
      expect(done.location).toBe('/account/security/recovery-codes');
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe('Latchkey security alert: A sign-in method was added to your account');
    expect(sent[0]!.text).toContain('A sign-in method was added to your account: Authenticator app.');
    expect(sent[0]!.text).toContain('From IP address: 127.0.0.1');
    expect(sent[0]!.text).toContain(`Browser or device: ${UA}`);

    const listed = await pages.visit('/account/security?done=added');
    expect(listed.text).toContain('The sign-in method was added.');
    const factors = listedFactors(listed);
    expect(factors).toHaveLength(1);
    expect(factors[0]!.text).toContain('Authenticator app');
    const stored2 = await app.container.stores.factors.listForAccount((await app.container.stores.accounts.findByEmail('totp@example.com'))!.id);
    expect(stored2.map((f) => f.kind)).toEqual(['totp']);
    expect(JSON.stringify(stored2[0]!.data)).not.toContain(secret);

    // The confirmation cannot be sent twice: the pending setup is gone.
    const again = await pages.post(confirm, '/account/security/add/totp/confirm', { action: 'finish', code: totpCode(secret, Date.now() + 30_000) });
    expect(again.status).toBe(400);
    expect(again.text).toContain('This setup has expired');
    expect(await pages.factors()).toHaveLength(1);
  });

  test('an email code factor: the code comes by email to the address given; listed masked; one notification to the account address', async () => {
    const pages = await person('mail@example.com');
    const begin = await pages.visit('/account/security/add/email');
    expect(begin.text).toContain('value="mail@example.com"');
    const sent = await notified('mail@example.com', async () => {
      const confirm = await pages.submit(begin, '/account/security/add/email', { email: 'Mail.Codes@Example.com' });
      expect(confirm.text).toContain('We sent a code to <strong>m***@example.com</strong>');
      const done = await pages.submit(confirm, '/account/security/add/email/confirm', { action: 'finish', code: await latestCode(app, 'mail.codes@example.com') });
      expect(done.url).toBe(`${app.url}/account/security/recovery-codes`);
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('A sign-in method was added to your account: Email to m***@example.com.');
    const [factor] = await pages.factors();
    expect(factor!.text).toContain('Email code');
    expect(factor!.text).toContain('Email to m***@example.com');
  });

  test('list, rename and remove: each change sends exactly one notification', async () => {
    const pages = await person('lists@example.com');
    await pages.addTotp();
    await pages.addEmail('lists.codes@example.com');
    const factors = await pages.factors();
    expect(factors.map((f) => f.text.split(' Added')[0])).toEqual(['Authenticator app', 'Email code Email to l***@example.com']);
    const [totp, email] = factors;

    const renamed = await notified('lists@example.com', async () => {
      const page = await pages.rename(totp!.id, '  Phone in my desk  ');
      expect(page.text).toContain('The sign-in method was renamed.');
    });
    expect(renamed).toHaveLength(1);
    expect(renamed[0]!.text).toContain('A sign-in method of your account was renamed: Authenticator app is now called “Phone in my desk”.');
    expect((await pages.factors())[0]!.text).toContain('Phone in my desk');

    const removed = await notified('lists@example.com', async () => {
      const confirm = await pages.visit(`/account/security/factors/${email!.id}/remove`);
      expect(confirm.text).toContain('Remove Email code?');
      expect(confirm.text).not.toContain('This is your only second method');
      const page = await pages.submit(confirm, `/account/security/factors/${email!.id}/remove`);
      expect(page.text).toContain('The sign-in method was removed.');
    });
    expect(removed).toHaveLength(1);
    expect(removed[0]!.subject).toBe('Latchkey security alert: A sign-in method was removed from your account');
    expect(removed[0]!.text).toContain('A sign-in method was removed from your account: Email to l***@example.com.');
    expect((await pages.factors()).map((f) => f.id)).toEqual([totp!.id]);

    const last = await pages.visit(`/account/security/factors/${totp!.id}/remove`);
    expect(last.text).toContain('This is your only second method');
    await pages.submit(last, `/account/security/factors/${totp!.id}/remove`);
    expect(await pages.factors()).toEqual([]);
  });

  test('a phone factor with a country prefix and a channel; changing the number is one change with one notification', async () => {
    const pages = await person('phone@example.com');
    const begin = await pages.visit('/account/security/add/phone');
    expect(begin.text).toContain('<option value="GB">United Kingdom (+44)</option>');
    expect(begin.text).toContain('value="voice"');
    const confirm = await pages.submit(begin, '/account/security/add/phone', { country: 'GB', number: '07400 123456', channel: 'sms' });
    expect(confirm.text).toContain('We sent a code to <strong>+44•••••••456</strong>');
    await pages.submit(confirm, '/account/security/add/phone/confirm', { action: 'finish', code: await latestCode(app, '+447400123456') });
    const [old] = await pages.factors();
    expect(old!.text).toContain('Text message to +44•••••••456');
    expect(old!.text).toContain('Change number');

    const sent = await notified('phone@example.com', async () => {
      const change = await pages.visit(`/account/security/factors/${old!.id}/change`);
      expect(change.text).toContain('<h1>Change your phone number</h1>');
      const confirmNew = await pages.submit(change, `/account/security/factors/${old!.id}/change`, { country: 'GB', number: '+44 7400 123789', channel: 'voice' });
      expect(confirmNew.text).toContain('Confirm your new number');
      expect(confirmNew.text).toContain('by phone call');
      const done = await pages.submit(confirmNew, '/account/security/add/phone/confirm', { action: 'finish', code: await latestCode(app, '+447400123789') });
      expect(done.text).toContain('Your phone number was changed.');
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('Phone call to +44•••••••789, replacing Text message to +44•••••••456');
    const after = await pages.factors();
    expect(after).toHaveLength(1);
    expect(after[0]!.id).not.toBe(old!.id);
    expect(after[0]!.text).toContain('Phone call to +44•••••••789');
  });

  test('a security key or passkey: the page hands the browser its registration options; a response that does not verify adds nothing', async () => {
    const pages = await person('key@example.com');
    expect((await pages.visit('/account/security/add')).text).toContain('href="/account/security/add/webauthn"');
    const begin = await pages.visit('/account/security/add/webauthn');
    const confirm = await pages.submit(begin, '/account/security/add/webauthn');
    expect(confirm.url).toBe(`${app.url}/account/security/add/webauthn/confirm`);
    expect(confirm.text).toContain('<form method="post" action="/account/security/add/webauthn/confirm" data-webauthn="register"');
    expect(confirm.text).toContain('data-webauthn-options="{&quot;');
    expect(confirm.text).toContain('<script src="/assets/webauthn.js" defer></script>');
    const sent = await notified('key@example.com', async () => {
      const bogus = await pages.post(confirm, '/account/security/add/webauthn/confirm', { action: 'finish', credential: '{"id":"x","response":{}}', label: 'Key' });
      expect(bogus.status).toBe(400);
      expect(bogus.text).toContain('Your security key or passkey could not be verified.');
      expect(bogus.text).toContain('data-webauthn="register"');
    });
    expect(sent).toEqual([]);
    expect(await pages.factors()).toEqual([]);
  });

  test('a notification that cannot be sent is logged; the change stays', async () => {
    const pages = await person('nomail@example.com');
    const { page } = await pages.addTotp();
    const [factor] = listedFactors(page);
    const mail = app.container.delivery.mail;
    const send = mail.send;
    (mail as { send: typeof send }).send = async (message) => {
      if (message.template === 'security-notification') throw new DeliveryError('email');
      return send.call(mail, message);
    };
    try {
      const confirm = await pages.visit(`/account/security/factors/${factor!.id}/remove`);
      const done = await pages.submit(confirm, `/account/security/factors/${factor!.id}/remove`);
      expect(done.status).toBe(200);
      expect(done.text).toContain('The sign-in method was removed.');
    } finally {
      (mail as { send: typeof send }).send = send;
    }
    expect(await pages.factors()).toEqual([]);
    expect(log.lines.some((l) => l.event === 'notification.failed' && l.notification === 'factor-removed')).toBe(true);
  });
});

/** The CSRF token on a console page (every form on it carries the same one). */
function pagesCsrf(page: { text: string }): string {
  return /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
}
