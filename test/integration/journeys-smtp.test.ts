import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { openSignIn, returnToApp, submitPassword } from '../support/flow.js';
import { startMailCatcher, type CaughtMail, type MailCatcher } from '../support/mail-catcher.js';
import { authorizationRequest, discover, idTokenClaims, registerWebClient } from '../support/rp.js';
import { finishSignUp, formFor, openSignUp, submitSignUp, submitSignUpCode } from '../support/sign-up.js';

/** Sign-up and first-sign-in email verification with every message through a real SMTP server. */
describe('account journeys with mail through SMTP', () => {
  let app: TestApp;
  let mail: MailCatcher;
  let config: oidc.Configuration;

  beforeAll(async () => {
    mail = await startMailCatcher();
    app = await startTestApp({ env: { SMTP_URL: mail.url } });
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(async () => {
    await app.close();
    await mail.close();
  });

  const codeIn = (message: CaughtMail) => /\b\d{6}\b/.exec(message.parsed.text ?? '')![0];
  const latestTo = (address: string) => mail.waitFor((m) => m.envelope.to.includes(address) && !seen.has(m));
  const seen = new Set<CaughtMail>();
  const take = async (address: string) => {
    const message = await latestTo(address);
    seen.add(message);
    return message;
  };

  test('prompt=create: the code arrives by SMTP (text and HTML), and the app gets an ID token for the new account', async () => {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid email', { prompt: 'create' });
    const form = await browser.follow(attempt.url.href);
    expect(form.text).toContain('Create account');
    const codePage = await submitSignUp(browser, form, { name: 'Mary Smtp', email: 'mary@example.com', password: 'velvet harbour pickle season' });
    const message = await take('mary@example.com');
    const code = codeIn(message);
    expect(message.parsed.html).toContain(code);
    expect(message.parsed.subject).not.toContain(code);
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await finishSignUp(browser, codePage, code)));
    expect(claims).toMatchObject({ email: 'mary@example.com', email_verified: true });
  });

  test('an existing address: the owner is told by SMTP that someone tried to sign up with it', async () => {
    await app.container.accounts.create({ email: 'owner@example.com', password: 'velvet harbour pickle season', emailVerified: true });
    const browser = new Browser(app.url);
    const signIn = await openSignIn(browser, (await authorizationRequest(config, 'openid')).url);
    await submitSignUp(browser, await openSignUp(browser, signIn), { name: 'Someone', email: 'owner@example.com', password: 'another long passphrase here' });
    const message = await take('owner@example.com');
    expect(message.parsed.text).toContain('Someone tried to create a new Latchkey account with your email address');
  });

  test('joining a subscription after sign-up: the owner gets Approve and Decline links by SMTP, built from the issuer', async () => {
    await app.container.accounts.create({ email: 'acme-owner@example.com', password: 'velvet harbour pickle season', emailVerified: true });
    const subscription = await app.container.subscriptions.create({ name: 'Acme Ltd', ownerEmail: 'acme-owner@example.com' });
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { prompt: 'create' });
    const codePage = await submitSignUp(browser, await browser.follow(attempt.url.href), { name: 'Jo Join', email: 'jo@example.com', password: 'velvet harbour pickle season' });
    const offer = await submitSignUpCode(browser, codePage, codeIn(await take('jo@example.com')));
    const { action, csrf } = formFor(offer, '/join', 'join');
    await returnToApp(browser, await browser.submit(action, { _csrf: csrf, action: 'join', identifier: subscription.customerNumber, owner_email: 'acme-owner@example.com' }));
    const approval = await take('acme-owner@example.com');
    const links = (approval.parsed.text ?? '').match(/https?:\/\/\S+/g) ?? [];
    expect(links.some((link) => link.includes('/approve/'))).toBe(true);
    expect(links.some((link) => link.includes('/decline/'))).toBe(true);
    for (const link of links) expect(link.startsWith(app.issuer)).toBe(true);
  });

  test('an account created without --verified confirms its address by a code sent through SMTP at its first sign-in', async () => {
    await app.container.accounts.create({ email: 'cli@example.com', password: 'velvet harbour pickle season', emailVerified: false });
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid email');
    const page = await submitPassword(browser, await openSignIn(browser, attempt.url), 'cli@example.com', 'velvet harbour pickle season');
    expect(page.text).toContain('<h1>Confirm your email address</h1>');
    const code = codeIn(await take('cli@example.com'));
    const { action, csrf } = formFor(page, '/verify-email', 'verify');
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await browser.submit(action, { _csrf: csrf, action: 'verify', code })));
    expect(claims).toMatchObject({ email: 'cli@example.com', email_verified: true });
  });
});
