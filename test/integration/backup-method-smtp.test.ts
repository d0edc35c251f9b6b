import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { ConsolePages } from '../support/console.js';
import { startMailCatcher, type CaughtMail, type MailCatcher } from '../support/mail-catcher.js';
import { startSmsReceiver, type SmsReceiver } from '../support/sms-receiver.js';
import { totpCode } from '../support/totp.js';

/** The backup method's codes and notices through the real carriers: an SMTP server and the SMS/voice webhook, no outbox. */
describe('backup method codes and notices through SMTP and the SMS/voice webhook', () => {
  let app: TestApp;
  let mail: MailCatcher;
  let phone: SmsReceiver;

  beforeAll(async () => {
    mail = await startMailCatcher();
    phone = await startSmsReceiver();
    app = await startTestApp({ env: { SMTP_URL: mail.url, SMS_WEBHOOK_URL: phone.url, SMS_WEBHOOK_SECRET: 'hook-secret' } });
  });
  afterAll(async () => {
    await app.close();
    await mail.close();
    await phone.close();
  });

  type Call = { to: string; channel: string; text: string };
  const callsTo = (to: string) => phone.received.map((r) => r.body as Call).filter((b) => b.to === to);
  /** The code of the latest text or call to `to`, as read or heard. */
  const phoneCode = async (to: string) => {
    const last = callsTo(to).at(-1)!;
    return last.channel === 'voice' ? last.text.match(/(\d), (\d), (\d), (\d), (\d), (\d)/)!.slice(1).join('') : /\b\d{6}\b/.exec(last.text)![0];
  };
  const seen = new Set<CaughtMail>();
  const mailCode = async (to: string) => {
    const message = await mail.waitFor((m) => m.envelope.to.includes(to) && !seen.has(m) && /\b\d{6}\b/.test(m.parsed.text ?? ''));
    seen.add(message);
    return /\b\d{6}\b/.exec(message.parsed.text ?? '')![0];
  };

  test('text message, then phone call, then email: codes by webhook and SMTP; the old phone is texted and the login email told', async () => {
    expect(app.container.delivery.outbox).toBeUndefined();
    await createUser(app, 'carrier@example.com');
    let secret = '';
    const pages = new ConsolePages(app, { email: 'carrier@example.com', secondFactor: () => totpCode(secret, Date.now() + 30_000) });
    ({ secret } = await pages.addTotp());

    await pages.setUpBackup({ channel: 'sms', country: 'GB', number: '07400 333001', to: '+447400333001' }, phoneCode);
    expect(callsTo('+447400333001').at(-1)).toMatchObject({ channel: 'sms' });
    expect(phone.received.at(-1)!.authorization).toBe('Bearer hook-secret');
    expect(await pages.backupSection()).toContain('Text message to +44•••••••001');

    await pages.setUpBackup({ channel: 'voice', country: 'GB', number: '07400 333002', to: '+447400333002' }, phoneCode);
    expect(callsTo('+447400333002').at(-1)).toMatchObject({ channel: 'voice' });
    const notice = callsTo('+447400333001').at(-1)!;
    expect(notice.channel).toBe('sms');
    expect(notice.text).toContain('The backup method of your account was changed: Phone call to +44•••••••002, replacing Text message to +44•••••••001');

    await pages.setUpBackup({ email: 'carrier-backup@example.org' }, mailCode);
    // A voice-only backup phone is told by text, not by a robot's call.
    expect(callsTo('+447400333002').at(-1)).toMatchObject({ channel: 'sms' });
    expect(callsTo('+447400333002').at(-1)!.text).toContain('Email to c***@example.org');
    const told = await mail.waitFor((m) => m.envelope.to.includes('carrier@example.com') && (m.parsed.text ?? '').includes('Email to c***@example.org'));
    expect(told.parsed.subject).toContain('Latchkey security alert');
    const setupMail = [...seen].find((m) => m.envelope.to.includes('carrier-backup@example.org'))!;
    expect(setupMail.parsed.text).toContain('confirm this address as the backup method of your Latchkey account');
  });
});
