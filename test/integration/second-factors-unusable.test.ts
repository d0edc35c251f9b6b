import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { openSignIn, submitPassword } from '../support/flow.js';
import { startMailCatcher, type MailCatcher } from '../support/mail-catcher.js';
import { authorizationRequest, discover, registerWebClient } from '../support/rp.js';

/**
 * A text-message factor enrolled while SMS was configured, on a deployment that no longer
 * has SMS_WEBHOOK_URL: the account keeps 2FA on, so the password alone must not sign in.
 */
describe('a factor whose channel is no longer configured', () => {
  let app: TestApp;
  let mail: MailCatcher;
  beforeAll(async () => {
    mail = await startMailCatcher();
    app = await startTestApp({ env: { SMTP_URL: mail.url } });
  });
  afterAll(async () => {
    await app.close();
    await mail.close();
  });

  test('never turns the sign-in into a password-only one', async () => {
    expect(app.container.delivery.phone.available).toBe(false);
    const account = await createUser(app, 'stranded@example.com');
    await app.container.stores.factors.create({ accountId: account.id, kind: 'phone', label: null, data: { e164: '+447400123456', channel: 'sms' }, counter: 0 });
    const config = await discover(app, await registerWebClient(app));
    const browser = new Browser(app.url);
    const landing = await submitPassword(browser, await openSignIn(browser, (await authorizationRequest(config, 'openid')).url), 'stranded@example.com');
    const callback = new URL(landing.location!);
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  test('with saved backup codes, the sign-in offers them under "Authenticate a different way" instead of a dead end', async () => {
    const account = await createUser(app, 'stranded-with-codes@example.com');
    await app.container.stores.factors.create({ accountId: account.id, kind: 'phone', label: null, data: { e164: '+447400654321', channel: 'sms' }, counter: 0 });
    const recovery = app.container.factorRegistry.recovery()!;
    const secrets = recovery.generate();
    await recovery.install(account.id, secrets, Date.now());
    const config = await discover(app, await registerWebClient(app));
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const choose = await submitPassword(browser, await openSignIn(browser, attempt.url), 'stranded-with-codes@example.com');
    expect(choose.text).toContain('Authenticate a different way');
    expect(choose.text).toContain('Use a backup code');
    expect(choose.text).not.toContain('Text message to');
  });
});
