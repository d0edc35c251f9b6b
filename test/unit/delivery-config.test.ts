import { ConfigError, loadConfig } from '../../src/config/load.js';

describe('delivery configuration', () => {
  test('nothing configured: no carriers, and mail comes from no-reply at the issuer host', () => {
    expect(loadConfig({ ISSUER: 'https://login.example.com', TRUST_PROXY: '1' })).toMatchObject({
      smtpUrl: undefined,
      smsWebhookUrl: undefined,
      smsWebhookSecret: undefined,
      mailFrom: 'Latchkey <no-reply@login.example.com>',
    });
    expect(loadConfig({}).mailFrom).toBe('Latchkey <no-reply@localhost>');
    expect(loadConfig({ ISSUER: 'http://127.0.0.1:3000' }).mailFrom).toBe('Latchkey <no-reply@[127.0.0.1]>');
    expect(loadConfig({ ISSUER: 'http://[::1]:3000' }).mailFrom).toBe('Latchkey <no-reply@[IPv6:::1]>');
  });

  test('SMTP_URL, MAIL_FROM and the webhook are taken as given', () => {
    expect(
      loadConfig({
        SMTP_URL: 'smtps://user:pass@smtp.example.com:465',
        MAIL_FROM: '"Acme, Sign-in" <login@acme.example>',
        SMS_WEBHOOK_URL: 'https://sms.example.com/send',
        SMS_WEBHOOK_SECRET: 's3cret',
      }),
    ).toMatchObject({
      smtpUrl: 'smtps://user:pass@smtp.example.com:465',
      mailFrom: '"Acme, Sign-in" <login@acme.example>',
      smsWebhookUrl: 'https://sms.example.com/send',
      smsWebhookSecret: 's3cret',
    });
    expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'login@acme.example' })).toMatchObject({ mailFrom: 'login@acme.example' });
  });

  test('bad values are refused by name', () => {
    expect(() => loadConfig({ SMTP_URL: 'http://smtp.example.com' })).toThrow(/SMTP_URL must be an smtp:\/\//);
    expect(() => loadConfig({ SMTP_URL: 'smtp.example.com' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ MAIL_FROM: 'Latchkey' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ MAIL_FROM: 'a@example.com, b@example.com' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ MAIL_FROM: 'Latchkey <a@example.com>\r\nBcc: b@example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMS_WEBHOOK_URL: 'ftp://sms.example.com' })).toThrow(/SMS_WEBHOOK_URL/);
    expect(() => loadConfig({ SMS_WEBHOOK_URL: 'https://key:secret@sms.example.com/send' })).toThrow(/SMS_WEBHOOK_URL must not hold a user or password/);
    expect(() => loadConfig({ SMS_WEBHOOK_SECRET: 's3cret' })).toThrow(/SMS_WEBHOOK_SECRET is set but SMS_WEBHOOK_URL is not/);
  });
});
