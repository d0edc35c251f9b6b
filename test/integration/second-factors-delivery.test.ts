import * as oidc from 'openid-client';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { chooseEnrolment, openSignIn, returnToApp, submitCode, submitEnrolment, submitPassword } from '../support/flow.js';
import { startMailCatcher, type MailCatcher } from '../support/mail-catcher.js';
import { authorizationRequest, discover, idTokenClaims, registerWebClient } from '../support/rp.js';
import { startSmsReceiver, type SmsReceiver } from '../support/sms-receiver.js';

const TWO_FA = 'urn:latchkey:acr:2fa';

/** Codes through the real carriers: an SMTP server and an HTTP webhook receiver, no outbox. */
describe('second-factor codes delivered through SMTP and the SMS/voice webhook', () => {
  let app: TestApp;
  let mail: MailCatcher;
  let phone: SmsReceiver;
  let config: oidc.Configuration;

  beforeAll(async () => {
    mail = await startMailCatcher();
    phone = await startSmsReceiver();
    app = await startTestApp({ env: { SMTP_URL: mail.url, SMS_WEBHOOK_URL: phone.url, SMS_WEBHOOK_SECRET: 'hook-secret' } });
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(async () => {
    await app.close();
    await mail.close();
    await phone.close();
  });

  const lastCall = () => phone.received.at(-1)!.body as { to: string; channel: string; text: string };

  test('a phone call reads the digits one by one; the sign-in ends with amr tel', async () => {
    expect(app.container.delivery.outbox).toBeUndefined();
    await createUser(app, 'caller@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const begin = await chooseEnrolment(browser, await submitPassword(browser, await openSignIn(browser, attempt.url), 'caller@example.com'), 'Text message or phone call');
    const sent = await submitEnrolment(browser, begin, 'begin', { country: 'GB', number: '07400 123456', channel: 'voice' });
    expect(sent.text).toContain('by phone call');
    const call = lastCall();
    expect(call).toMatchObject({ to: '+447400123456', channel: 'voice' });
    expect(phone.received.at(-1)!.authorization).toBe('Bearer hook-secret');
    const spoken = call.text.match(/(\d), (\d), (\d), (\d), (\d), (\d)/);
    expect(spoken).not.toBeNull();
    const code = spoken!.slice(1).join('');
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await submitEnrolment(browser, sent, 'finish', { code })));
    expect(claims).toMatchObject({ acr: TWO_FA, amr: ['pwd', 'tel', 'mfa'] });
  });

  test('an email code through SMTP; a failing webhook is a clear page, not a 500, and nothing is lost', async () => {
    await createUser(app, 'mailbox@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const begin = await chooseEnrolment(browser, await submitPassword(browser, await openSignIn(browser, attempt.url), 'mailbox@example.com'), 'Email code');
    const sent = await submitEnrolment(browser, begin, 'begin', { email: 'inbox@example.org' });
    const message = await mail.waitFor((m) => m.envelope.to.includes('inbox@example.org'));
    const code = /\b\d{6}\b/.exec(message.parsed.text ?? '')![0];
    expect(message.parsed.html).toContain(code);
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await submitEnrolment(browser, sent, 'finish', { code })));
    expect(claims.acr).toBe(TWO_FA);

    // The webhook fails: enrolling a phone says so on the page and stays where it was.
    phone.behave(500);
    try {
      const other = new Browser(app.url);
      await createUser(app, 'nophone@example.com');
      const start = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
      const choose = await chooseEnrolment(other, await submitPassword(other, await openSignIn(other, start.url), 'nophone@example.com'), 'Text message or phone call');
      const failed = await submitEnrolment(other, choose, 'begin', { country: 'GB', number: '07400 654321', channel: 'sms' });
      expect(failed.status).toBe(503);
      expect(failed.text).toContain('We could not send the code; try again or choose another way.');
      expect(failed.text).toContain('name="number"');
    } finally {
      phone.behave('ok');
    }
  });

  test('signing in with a text-message factor sends a fresh code each time', async () => {
    await createUser(app, 'texter@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const begin = await chooseEnrolment(browser, await submitPassword(browser, await openSignIn(browser, attempt.url), 'texter@example.com'), 'Text message or phone call');
    const sent = await submitEnrolment(browser, begin, 'begin', { country: 'US', number: '(201) 555-0123', channel: 'sms' });
    await returnToApp(browser, await submitEnrolment(browser, sent, 'finish', { code: /\b\d{6}\b/.exec(lastCall().text)![0] }));

    const next = new Browser(app.url);
    const attempt2 = await authorizationRequest(config, 'openid');
    const factorPage = await submitPassword(next, await openSignIn(next, attempt2.url), 'texter@example.com');
    expect(lastCall()).toMatchObject({ to: '+12015550123', channel: 'sms' });
    const claims = await idTokenClaims(config, attempt2, await returnToApp(next, await submitCode(next, factorPage, /\b\d{6}\b/.exec(lastCall().text)![0])));
    expect(claims.amr).toEqual(['pwd', 'sms', 'mfa']);
  });
});
