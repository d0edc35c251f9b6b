/**
 * The 2FA reset journey with every message through the REAL carriers: the backup phone's
 * code and the reset notice arrive at the SMS/voice webhook receiver, the reset link and the
 * new email factor's code at an SMTP server; the app has no outbox. The reset link is built
 * from the issuer only: a foreign Host is refused, a forwarded host ignored.
 */
import * as oidc from 'openid-client';
import request from 'supertest';
import type { Account } from '../../src/store/ports.js';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser, inputValue, type Page } from '../support/browser.js';
import { ConsolePages } from '../support/console.js';
import {
  chooseNewMethod,
  openResetLink,
  openSignIn,
  returnToApp,
  saveRecoveryCodes,
  showsRecoveryCodes,
  submitBackupCode,
  submitCode,
  submitEnrolment,
  submitPassword,
  submitResetPassword,
  totpSecretOn,
  useBackupMethod,
  type Landing,
} from '../support/flow.js';
import { startMailCatcher, type CaughtMail, type MailCatcher } from '../support/mail-catcher.js';
import { authorizationRequest, discover, idTokenClaims, registerWebClient } from '../support/rp.js';
import { startSmsReceiver, type SmsReceiver } from '../support/sms-receiver.js';
import { totpCode } from '../support/totp.js';

const TWO_FA = 'urn:latchkey:acr:2fa';
const FOREIGN = 'evil.example';

interface PhoneCall {
  to: string;
  channel: 'sms' | 'voice';
  text: string;
}

describe('resetting 2FA with a backup phone, messages through SMTP and the SMS/voice webhook', () => {
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
    await app?.close();
    await mail?.close();
    await phone?.close();
  });

  const stores = () => app.container.stores;
  const callsTo = (to: string) => phone.received.map((r) => r.body as PhoneCall).filter((b) => b.to === to);
  const mailsTo = (to: string) => mail.messages.filter((m) => m.envelope.to.includes(to));
  const codeInMail = (m: CaughtMail) => /\b\d{6}\b/.exec(m.parsed.text ?? '')![0];
  /** The next message to `to` after the `seen` first ones. */
  const nextMailTo = (to: string, seen: number, subject?: string) =>
    mail.waitFor((m) => m.envelope.to.includes(to) && mailsTo(to).indexOf(m) >= seen && (!subject || m.parsed.subject === subject));

  /** The form on `page` posting to a path ending with `path` whose hidden action is `action`. */
  function form(page: Page, path: string, action: string): { url: string; csrf: string } {
    const found = [...page.text.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].find(
      (m) => m[1]!.endsWith(path) && m[2]!.includes(`name="action" value="${action}"`),
    );
    if (!found) throw new Error(`No ${path} form with action ${action} on:\n${page.text}`);
    return { url: found[1]!.replace(/&amp;/g, '&'), csrf: inputValue(found[2]!, '_csrf')! };
  }

  /** An account with an authenticator app set up in the console (recovery codes saved) and a verified backup phone. */
  async function withAuthenticatorAndBackupPhone(email: string, number: string, channel: 'sms' | 'voice') {
    await createUser(app, email);
    const pages = new ConsolePages(app, { email });
    const { secret } = await pages.addTotp();
    const account = (await stores().accounts.findByEmail(email)) as Account;
    await stores().backupMethods.set({ accountId: account.id, kind: 'phone', destination: number, channel, verifiedAt: Date.now() });
    return { account, pages, secret };
  }

  /** A new sign-in at the app, past the password, on the authenticator step; then "Use backup method". */
  async function atBackupCodePage(email: string) {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const factor = await submitPassword(browser, await openSignIn(browser, attempt.url), email);
    expect(factor.text).toContain('Enter the 6-digit code from your authenticator app.');
    const codePage = await useBackupMethod(browser, factor);
    expect(codePage.status).toBe(200);
    expect(codePage.text).toContain('We sent a 6-digit code to your backup method');
    return { browser, codePage };
  }

  test('text message code → offer → reset email by SMTP (issuer link, whatever the Host) → password → a new email-code factor → notices by SMTP and text', async () => {
    const email = 'carrier-ada@example.com';
    const backupPhone = '+447700900123';
    const newInbox = 'ada-codes@example.org';
    const { account, pages: oldConsole } = await withAuthenticatorAndBackupPhone(email, backupPhone, 'sms');
    const [oldFactor] = await stores().factors.listForAccount(account.id);
    expect(app.container.delivery.outbox).toBeUndefined();
    expect((await oldConsole.browser.get('/account/security')).status).toBe(200);

    // 1. The code goes to the backup phone as a text, through the webhook.
    const textsBefore = callsTo(backupPhone).length;
    const { browser, codePage } = await atBackupCodePage(email);
    expect(codePage.text).toContain('Text message to');
    expect(codePage.text).not.toContain(backupPhone);
    const texts = callsTo(backupPhone);
    expect(texts).toHaveLength(textsBefore + 1);
    const codeText = texts.at(-1)!;
    expect(codeText.channel).toBe('sms');
    expect(phone.received.at(-1)!.authorization).toBe('Bearer hook-secret');
    const code = /\b\d{6}\b/.exec(codeText.text)?.[0];
    expect(code).toBeDefined();

    // 2. "You have verified your identity" → "Remove the device and add new one".
    const offer = await submitBackupCode(browser, codePage, code!);
    expect(offer.text).toContain('<h1>You have verified your identity</h1>');
    expect(offer.text).toContain('Remove the device and add new one');
    const remove = form(offer, '/reset-offer', 'reset');
    // A request naming another host is refused before it does anything.
    const foreignOffer = await browser.post(remove.url, { _csrf: remove.csrf, action: 'reset' }, { Host: FOREIGN });
    expect(foreignOffer.status).toBe(421);
    expect(foreignOffer.text).not.toContain(FOREIGN);
    const confirm = await browser.submit(remove.url, { _csrf: remove.csrf, action: 'reset' });
    expect(confirm.text).toContain('Send 2-factor authentication email');

    // 3. "Send 2-factor authentication email": a foreign Host sends nothing; a forwarded host (no trusted proxy) changes nothing.
    const send = form(confirm, '/reset-email', 'send');
    const mailsBefore = mailsTo(email).length;
    const foreignSend = await browser.post(send.url, { _csrf: send.csrf, action: 'send' }, { Host: `${FOREIGN}:443` });
    expect(foreignSend.status).toBe(421);
    expect(foreignSend.headers.location).toBeUndefined();
    const forwarded = await browser.post(send.url, { _csrf: send.csrf, action: 'send' }, { 'X-Forwarded-Host': FOREIGN, 'X-Forwarded-Proto': 'https', Forwarded: `host=${FOREIGN};proto=https` });
    expect(forwarded.status).toBe(303);
    const sent = await browser.follow(forwarded.location!);
    expect(sent.text).toContain('<h1>Check your email</h1>');

    const resetMail = await nextMailTo(email, mailsBefore, 'Set up 2-factor authentication again');
    // Exactly one: the refused request sent none.
    expect(mailsTo(email).slice(mailsBefore).filter((m) => m.parsed.subject === 'Set up 2-factor authentication again')).toHaveLength(1);
    expect(resetMail.envelope.to).toEqual([email]);
    const text = resetMail.parsed.text ?? '';
    const html = String(resetMail.parsed.html || '');
    expect(text + html).not.toContain(FOREIGN);
    expect(text).not.toContain('https://');
    const links = text.match(/https?:\/\/\S+/g) ?? [];
    const link = links.find((l) => l.includes('/reset-2fa/'));
    expect(link).toBeDefined();
    expect(link!.startsWith(`${app.issuer}/reset-2fa/`)).toBe(true);
    for (const other of links) expect(other.startsWith(app.issuer)).toBe(true);
    expect(html).toContain(`href="${link}"`);
    // Nothing changed yet.
    expect((await stores().factors.listForAccount(account.id)).map((f) => f.id)).toEqual([oldFactor!.id]);

    // 4. Opened in another browser (with a foreign Host: refused, and the link still works after).
    const foreignOpen = await request(app.url).get(new URL(link!).pathname).set('Host', FOREIGN).set('Accept', 'text/html');
    expect(foreignOpen.status).toBe(421);
    expect(foreignOpen.text).not.toContain(FOREIGN);
    expect(foreignOpen.headers.location).toBeUndefined();
    const other = new Browser(app.url);
    const passwordPage = await openResetLink(other, link!);
    expect(passwordPage.status).toBe(200);
    expect(passwordPage.text).toContain(`value="${email}"`);
    const choose = await submitResetPassword(other, passwordPage);
    expect(choose.text).toContain('<h1>Set up 2-factor authentication again</h1>');
    for (const title of ['Authenticator app', 'Text message or phone call', 'Email code']) expect(choose.text).toContain(title);
    // (Security keys need a host name as the issuer, not 127.0.0.1: the browser test sets one up.)

    // 5. This time: email codes to another inbox, the code through SMTP.
    const enrol = await chooseNewMethod(other, choose, 'Email code');
    const inboxBefore = mailsTo(newInbox).length;
    const codeSent = await submitEnrolment(other, enrol, 'begin', { email: newInbox });
    expect(codeSent.text).toContain('We sent a code to');
    const enrolCode = codeInMail(await nextMailTo(newInbox, inboxBefore));
    const shown = await submitEnrolment(other, codeSent, 'finish', { code: enrolCode });
    expect(showsRecoveryCodes(shown)).toBe(true);
    const landed = await saveRecoveryCodes(other, shown);
    expect(landed.url).toMatch(/\/account\/security$/);
    expect(landed.status).toBe(200);

    // The old factor is gone; the new one is the only one.
    const factors = await stores().factors.listForAccount(account.id);
    expect(factors).toHaveLength(1);
    expect(factors[0]).toMatchObject({ kind: 'email' });
    expect(factors[0]!.id).not.toBe(oldFactor!.id);
    // The backup phone stays, and was told by a text through the webhook.
    expect((await stores().backupMethods.get(account.id))?.destination).toBe(backupPhone);
    const notice = callsTo(backupPhone).at(-1)!;
    expect(notice.channel).toBe('sms');
    expect(notice.text).toContain('2-factor authentication (2FA) was reset');
    expect(notice.text).toContain(new URL(app.issuer).hostname);
    expect(notice.text).not.toMatch(/\b\d{6}\b/);
    // The login address was told through SMTP.
    const alert = await mail.waitFor((m) => m.envelope.to.includes(email) && (m.parsed.text ?? '').includes('2-factor authentication (2FA) was reset'));
    expect(alert.parsed.subject).toMatch(/^Latchkey security alert/);
    // The other session ended.
    const oldSession = await oldConsole.browser.get('/account/security');
    expect(oldSession.status).toBe(303);
    expect(oldSession.location).toMatch(/^\/auth\?/);

    // 6. The next sign-in at the app: the new email code, through SMTP, is the second factor.
    const next = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const inboxBeforeSignIn = mailsTo(newInbox).length;
    const step = await submitPassword(next, await openSignIn(next, attempt.url), email);
    expect(step.text).toContain('We sent a code to');
    const signInCode = codeInMail(await nextMailTo(newInbox, inboxBeforeSignIn));
    const claims = await idTokenClaims(config, attempt, await returnToApp(next, await submitCode(next, step, signInCode)));
    expect(claims).toMatchObject({ sub: account.id, acr: TWO_FA, amr: ['pwd', 'otp', 'mfa'] });

    // The link worked once.
    const again = await new Browser(app.url).get(new URL(link!).pathname);
    expect(again.status).toBe(400);
  });

  test('a backup phone by call: the code is spoken digit by digit; the reset notice is still a text', async () => {
    const email = 'carrier-caller@example.com';
    const backupPhone = '+447700900456';
    const { account } = await withAuthenticatorAndBackupPhone(email, backupPhone, 'voice');
    const callsBefore = callsTo(backupPhone).length;
    const { browser, codePage } = await atBackupCodePage(email);
    expect(codePage.text).toContain('Phone call to');
    const calls = callsTo(backupPhone);
    expect(calls).toHaveLength(callsBefore + 1);
    const call = calls.at(-1)!;
    expect(call.channel).toBe('voice');
    // Read out one digit at a time, twice; never as one number.
    const spoken = call.text.match(/(\d), (\d), (\d), (\d), (\d), (\d)/);
    expect(spoken).not.toBeNull();
    expect(call.text).not.toMatch(/\d{2}/);
    const code = spoken!.slice(1).join('');

    // A wrong code stays on the page; the heard one opens the offer.
    const wrong = await submitBackupCode(browser, codePage, code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    const offer = await submitBackupCode(browser, wrong, code);
    expect(offer.text).toContain('<h1>You have verified your identity</h1>');
    const remove = form(offer, '/reset-offer', 'reset');
    const confirm = await browser.submit(remove.url, { _csrf: remove.csrf, action: 'reset' });
    const send = form(confirm, '/reset-email', 'send');
    const mailsBefore = mailsTo(email).length;
    const sent = await browser.submit(send.url, { _csrf: send.csrf, action: 'send' });
    expect(sent.text).toContain('<h1>Check your email</h1>');
    const link = (await nextMailTo(email, mailsBefore, 'Set up 2-factor authentication again')).parsed.text!.match(/http:\/\/\S+\/reset-2fa\/\S+/)![0];
    expect(link.startsWith(`${app.issuer}/reset-2fa/`)).toBe(true);

    // Finished with a new authenticator app; the voice-only backup phone is told by a text, not a call.
    const other = new Browser(app.url);
    const enrol = await chooseNewMethod(other, await submitResetPassword(other, await openResetLink(other, link)), 'Authenticator app');
    const landed: Landing = await saveRecoveryCodes(other, await submitEnrolment(other, enrol, 'finish', { code: totpCode(totpSecretOn(enrol), Date.now()) }));
    expect(landed.url).toMatch(/\/account\/security$/);
    expect(await stores().factors.listForAccount(account.id)).toHaveLength(1);
    const notice = callsTo(backupPhone).at(-1)!;
    expect(notice).toMatchObject({ channel: 'sms' });
    expect(notice.text).toContain('2-factor authentication (2FA) was reset');
    expect(callsTo(backupPhone).filter((c) => c.channel === 'voice')).toHaveLength(1);
  });
});
