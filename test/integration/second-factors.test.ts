import * as oidc from 'openid-client';
import { createUser, startTestApp, TestClock, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import {
  chooseEnrolment,
  chooseOtherFactor,
  openSignIn,
  resendCode,
  returnToApp,
  submitCode,
  submitEnrolment,
  submitPassword,
  totpSecretOn,
  type Landing,
} from '../support/flow.js';
import { codeIn, lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, idTokenClaims, registerWebClient, signInThroughBrowser } from '../support/rp.js';
import { totpCode } from '../support/totp.js';

const TWO_FA = 'urn:latchkey:acr:2fa';

describe('second factors through the sign-in flow, driven by openid-client', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  const clock = new TestClock();

  beforeAll(async () => {
    app = await startTestApp({ clock });
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(() => app.close());

  /** Enrols an authenticator app through the forced-enrolment step; returns its secret. */
  async function enrolTotp(email: string): Promise<string> {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const enrol = await chooseEnrolment(browser, await submitPassword(browser, await openSignIn(browser, attempt.url), email), 'Authenticator app');
    expect(enrol.text).toContain('Scan this QR code');
    expect(enrol.text).toMatch(/<img class="qr" src="data:image\/png;base64,/);
    expect(enrol.text).toContain('otpauth://totp/');
    const secret = totpSecretOn(enrol);
    const done = await submitEnrolment(browser, enrol, 'finish', { code: totpCode(secret, clock.now()) });
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, done));
    expect(claims.acr).toBe(TWO_FA);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    return secret;
  }

  test('2fa asked for an account without a factor: enrol an authenticator app, then sign in with it', async () => {
    await createUser(app, 'totp@example.com');
    const secret = await enrolTotp('totp@example.com');
    const notice = await lastOutboxMessage(app, 'totp@example.com');
    expect(notice.subject).toMatch(/added|new/i);

    // A later sign-in, without acr_values: 2FA on means the factor is always asked.
    clock.advance(30_000);
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const factorPage = await submitPassword(browser, await openSignIn(browser, attempt.url), 'totp@example.com');
    expect(factorPage.text).toContain('Enter the 6-digit code from your authenticator app.');
    expect(factorPage.text).toContain('autocomplete="one-time-code"');
    expect(factorPage.text).toContain('inputmode="numeric"');
    const wrong = await submitCode(browser, factorPage, '000000' === totpCode(secret, clock.now()) ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That code is not right');
    const code = totpCode(secret, clock.now());
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await submitCode(browser, wrong, code)));
    expect(claims).toMatchObject({ acr: TWO_FA, amr: ['pwd', 'otp', 'mfa'] });

    // The same code again (same time step), in a new sign-in: refused.
    const replay = new Browser(app.url);
    const again = await submitPassword(replay, await openSignIn(replay, (await authorizationRequest(config, 'openid')).url), 'totp@example.com');
    const refused = await submitCode(replay, again, code);
    expect(refused.status).toBe(400);
    expect(refused.location).toBeUndefined();
  });

  test('one TOTP code raced by two sign-ins is accepted once', async () => {
    await createUser(app, 'race@example.com');
    const secret = await enrolTotp('race@example.com');
    clock.advance(30_000);
    const pages: [Browser, Landing][] = [];
    for (let i = 0; i < 2; i++) {
      const browser = new Browser(app.url);
      pages.push([browser, await submitPassword(browser, await openSignIn(browser, (await authorizationRequest(config, 'openid')).url), 'race@example.com')]);
    }
    const code = totpCode(secret, clock.now());
    const results = await Promise.all(pages.map(([browser, page]) => submitCode(browser, page, code)));
    expect(results.filter((r) => r.location !== undefined || r.text.includes('Allow access')).length).toBe(1);
  });

  test('step-up: a password-only session asked for 2fa answers the factor, not the password again', async () => {
    const account = await createUser(app, 'stepup@example.com');
    const browser = new Browser(app.url);
    const first = await authorizationRequest(config, 'openid');
    const firstClaims = await idTokenClaims(config, first, await signInThroughBrowser(browser, first.url, 'stepup@example.com'));
    expect(firstClaims.acr).toBe('urn:latchkey:acr:1fa');

    // The factor is added while the session lives (as the console does).
    const module = app.container.factorRegistry.module('totp')!;
    const env = { account, ip: '127.0.0.1', now: clock.now() };
    const pending = await module.beginEnrolment(env, {});
    const secret = String(pending.seed);
    clock.advance(30_000);
    await module.finishEnrolment({ ...env, now: clock.now() }, pending, { code: totpCode(secret, clock.now()) });

    clock.advance(30_000);
    const stepUp = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const page = await browser.follow(stepUp.url.href);
    expect(page.text).not.toContain('id="password"');
    expect(page.text).toContain('authenticator app');
    const claims = await idTokenClaims(config, stepUp, await returnToApp(browser, await submitCode(browser, page, totpCode(secret, clock.now()))));
    expect(claims).toMatchObject({ sub: account.id, acr: TWO_FA });
  });

  test('phr with only an authenticator app: unmet_authentication_requirements, never a weaker login', async () => {
    await createUser(app, 'phr@example.com');
    await enrolTotp('phr@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { acr_values: 'phr' });
    const landing = await submitPassword(browser, await openSignIn(browser, attempt.url), 'phr@example.com');
    const callback = new URL(landing.location!);
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  test("a client's registered default_acr_values apply when the request names no level", async () => {
    await createUser(app, 'defaults@example.com');
    const strict = await app.container.clients.create({
      name: 'Strict RP',
      redirectUris: ['https://rp.example/callback'],
      grantTypes: ['authorization_code'],
      defaultAcrValues: [TWO_FA],
    });
    expect(strict.default_acr_values).toEqual([TWO_FA]);
    await expect(
      app.container.clients.create({ name: 'Bad', redirectUris: ['https://rp.example/callback'], defaultAcrValues: ['urn:example:unknown'] }),
    ).rejects.toMatchObject({ code: 'invalid_client_metadata' });
    const strictConfig = await discover(app, strict);
    const browser = new Browser(app.url);
    const page = await submitPassword(browser, await openSignIn(browser, (await authorizationRequest(strictConfig, 'openid')).url), 'defaults@example.com');
    expect(page.text).toContain('Protect your account');
  });

  test('an essential acr claim we cannot deliver is refused at once', async () => {
    const attempt = await authorizationRequest(config, 'openid', { claims: JSON.stringify({ id_token: { acr: { essential: true, value: 'urn:example:unknown' } } }) });
    const page = await new Browser(app.url).follow(attempt.url.href);
    expect(new URL(page.location!).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  test('email codes: enrol, then sign in with a code from the inbox; resend replaces the code', async () => {
    await createUser(app, 'mailer@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const begin = await chooseEnrolment(browser, await submitPassword(browser, await openSignIn(browser, attempt.url), 'mailer@example.com'), 'Email code');
    const sent = await submitEnrolment(browser, begin, 'begin', { email: 'codes@example.org' });
    expect(sent.text).toContain('We sent a code to');
    const code = codeIn(await lastOutboxMessage(app, 'codes@example.org'));
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await submitEnrolment(browser, sent, 'finish', { code })));
    expect(claims).toMatchObject({ acr: TWO_FA, amr: ['pwd', 'otp', 'mfa'] });

    const next = new Browser(app.url);
    const attempt2 = await authorizationRequest(config, 'openid');
    const factorPage = await submitPassword(next, await openSignIn(next, attempt2.url), 'mailer@example.com');
    expect(factorPage.text).toMatch(/We sent a code to <strong>c.*@example\.org<\/strong>/);
    const oldCode = codeIn(await lastOutboxMessage(app, 'codes@example.org'));
    const resent = await resendCode(next, factorPage);
    const newCode = codeIn(await lastOutboxMessage(app, 'codes@example.org'));
    if (newCode !== oldCode) {
      const refused = await submitCode(next, resent, oldCode);
      expect(refused.status).toBe(400);
    }
    const claims2 = await idTokenClaims(config, attempt2, await returnToApp(next, await submitCode(next, resent, newCode)));
    expect(claims2.acr).toBe(TWO_FA);
  });

  test('text message and phone call: the number with its country prefix, E.164, the other factor a different way', async () => {
    const account = await createUser(app, 'phone@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { acr_values: TWO_FA });
    const begin = await chooseEnrolment(browser, await submitPassword(browser, await openSignIn(browser, attempt.url), 'phone@example.com'), 'Text message or phone call');
    expect(begin.text).toContain('<option value="GB"');
    const invalid = await submitEnrolment(browser, begin, 'begin', { country: 'GB', number: '12', channel: 'sms' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('Enter a valid phone number');
    const sent = await submitEnrolment(browser, invalid, 'begin', { country: 'GB', number: '020 7946 0958', channel: 'sms' });
    const sms = await lastOutboxMessage(app, '+442079460958');
    expect(sms.kind).toBe('sms');
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await submitEnrolment(browser, sent, 'finish', { code: codeIn(sms) })));
    expect(claims).toMatchObject({ acr: TWO_FA, amr: ['pwd', 'sms', 'mfa'] });

    // A second factor, an email code, is offered under "Authenticate a different way".
    const emailModule = app.container.factorRegistry.module('email')!;
    const env = { account, ip: '127.0.0.1', now: clock.now() };
    const pending = await emailModule.beginEnrolment(env, { email: 'phone-backup@example.org' });
    await emailModule.finishEnrolment(env, pending, { code: codeIn(await lastOutboxMessage(app, 'phone-backup@example.org')) });

    const next = new Browser(app.url);
    const attempt2 = await authorizationRequest(config, 'openid');
    const factorPage = await submitPassword(next, await openSignIn(next, attempt2.url), 'phone@example.com');
    expect(factorPage.text).toContain('We sent a code to');
    const emailPage = await chooseOtherFactor(next, factorPage, 'Email to');
    const code = codeIn(await lastOutboxMessage(app, 'phone-backup@example.org'));
    const claims2 = await idTokenClaims(config, attempt2, await returnToApp(next, await submitCode(next, emailPage, code)));
    expect(claims2.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  test('wrong codes: 5 free, then a wait, counted per account and factor across sign-ins', async () => {
    await createUser(app, 'guess@example.com');
    await enrolTotp('guess@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      // A new sign-in each time: the count does not live in the flow.
      const browser = new Browser(app.url);
      const page = await submitPassword(browser, await openSignIn(browser, (await authorizationRequest(config, 'openid')).url), 'guess@example.com');
      statuses.push((await submitCode(browser, page, '999999')).status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429]);
  });

  test('bad input: another step, a foreign factor id, huge values, an expired interaction', async () => {
    await createUser(app, 'bad@example.com');
    await enrolTotp('bad@example.com');
    const browser = new Browser(app.url);
    const page = await submitPassword(browser, await openSignIn(browser, (await authorizationRequest(config, 'openid')).url), 'bad@example.com');
    const uid = page.url.split('/').pop()!;
    const csrf = page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    expect((await browser.post(`/interaction/${uid}/login`, { _csrf: csrf, email: 'bad@example.com', password: 'x' })).status).toBe(409);
    expect((await browser.post(`/interaction/${uid}/enrol`, { _csrf: csrf, action: 'finish', code: '123456' })).status).toBe(409);
    expect((await browser.post(`/interaction/${uid}/factor`, { _csrf: csrf, action: 'verify', code: '1'.repeat(9000) })).status).toBe(400);
    expect((await browser.post(`/interaction/${uid}/nonsense`, { _csrf: csrf })).status).toBe(404);
    const other = await chooseOtherFactor(browser, page, 'Authenticator app');
    expect(other.status).toBe(200);
    const chooseCsrf = other.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    // Now at the factor step again; a choice posted for a factor of another account is refused.
    expect((await browser.post(`/interaction/${uid}/choose`, { _csrf: chooseCsrf, factor_id: 'someone-elses' })).status).toBe(409);
    expect((await browser.get('/interaction/no-such-interaction')).status).toBe(400);
  });
});
