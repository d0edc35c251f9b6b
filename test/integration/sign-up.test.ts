import * as oidc from 'openid-client';
import { createUser, startTestApp, TEST_PASSWORD, TestClock, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { openSignIn, returnToApp, submitPassword, type Landing } from '../support/flow.js';
import { codeIn, lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, idTokenClaims, registerWebClient } from '../support/rp.js';
import { finishSignUp, linkTo, openSignUp, signUpAction, submitSignUp, submitSignUpCode } from '../support/sign-up.js';

const ONE_FA = 'urn:latchkey:acr:1fa';
const TWO_FA = 'urn:latchkey:acr:2fa';
const NEW_PASSWORD = 'velvet harbour pickle season';

describe('create account with an emailed code, over HTTP', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  const clock = new TestClock();

  beforeAll(async () => {
    app = await startTestApp({ clock });
    config = await discover(app, await registerWebClient(app));
  });
  afterAll(() => app.close());

  /** A browser on the "Create account" form of a new authorization request. */
  async function atSignUpForm(extra: Record<string, string> = {}) {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid email profile', extra);
    const form = await openSignUp(browser, await openSignIn(browser, attempt.url));
    return { browser, attempt, form };
  }

  /** Up to "Enter code" for `email`; returns the page and the code from the outbox. */
  async function atCodeStep(email: string, extra: Record<string, string> = {}) {
    const { browser, attempt, form } = await atSignUpForm(extra);
    const page = await submitSignUp(browser, form, { name: 'Grace Hopper', email, password: NEW_PASSWORD });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Enter code</h1>');
    return { browser, attempt, page, code: codeIn(await lastOutboxMessage(app, email)) };
  }

  test('from the sign-in page: code from the inbox, then back at the app signed in to the new account (pwd, 1fa)', async () => {
    const { browser, attempt, page, code } = await atCodeStep('grace@example.com');
    expect(page.text).toContain('We sent a 6-digit code to <strong>grace@example.com</strong>');
    expect(page.text).toContain('autocomplete="one-time-code"');
    const mail = await lastOutboxMessage(app, 'grace@example.com');
    expect(mail.text).toContain('confirm the email address of your new Latchkey account');

    const account = await app.container.stores.accounts.findByEmail('grace@example.com');
    expect(account).toBeNull();
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await finishSignUp(browser, page, code)));

    const created = (await app.container.stores.accounts.findByEmail('grace@example.com'))!;
    expect(created).toMatchObject({ name: 'Grace Hopper', emailVerified: true, disabled: false });
    expect(created.passwordHash).toMatch(/^\$argon2id\$/);
    expect(claims).toMatchObject({ sub: created.id, email: 'grace@example.com', email_verified: true, name: 'Grace Hopper', amr: ['pwd'], acr: ONE_FA });

    // The password it chose works for the next sign-in.
    const next = new Browser(app.url);
    const again = await authorizationRequest(config, 'openid');
    const landing = await submitPassword(next, await openSignIn(next, again.url), 'grace@example.com', NEW_PASSWORD);
    expect((await idTokenClaims(config, again, await returnToApp(next, landing))).sub).toBe(created.id);
  });

  test('the pending sign-up is sealed in the flow state and holds the password hash, never the password', async () => {
    const { page } = await atCodeStep('sealed@example.com');
    const uid = page.url.split('/').pop()!;
    const interaction = await app.container.provider.Interaction.find(uid);
    const stored = JSON.stringify(interaction?.result);
    expect(stored).not.toContain(NEW_PASSWORD);
    expect(stored).not.toContain('sealed@example.com');
    const state = (interaction!.result as { latchkey: { step: string; pending: string } }).latchkey;
    expect(state.step).toBe('signup_code');
    const opened = JSON.parse(app.container.box.open(state.pending, `flow:${uid}:signup_code:`)) as Record<string, unknown>;
    expect(opened).toMatchObject({ name: 'Grace Hopper', email: 'sealed@example.com', passwordHash: expect.stringMatching(/^\$argon2id\$/) });
    expect(Object.keys(opened)).not.toContain('password');
  });

  test('prompt=create from an openid-client relying party: straight to "Create account", ending with a valid ID token', async () => {
    expect(config.serverMetadata().prompt_values_supported).toEqual(expect.arrayContaining(['create', 'login', 'consent', 'none']));
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid email', { prompt: 'create' });
    const form = await browser.follow(attempt.url.href);
    expect(form.status).toBe(200);
    expect(form.text).toContain('<h1>Create account</h1>');
    const page = await submitSignUp(browser, form, { name: 'Ada Byron', email: 'byron@example.com', password: NEW_PASSWORD });
    const code = codeIn(await lastOutboxMessage(app, 'byron@example.com'));
    const callback = await returnToApp(browser, await finishSignUp(browser, page, code));
    expect(callback.searchParams.get('error')).toBeNull();
    // authorizationCodeGrant checks the ID token: signature, issuer, audience, nonce, expiry.
    const claims = await idTokenClaims(config, attempt, callback);
    const created = (await app.container.stores.accounts.findByEmail('byron@example.com'))!;
    expect(claims).toMatchObject({ sub: created.id, email: 'byron@example.com', email_verified: true, amr: ['pwd'], acr: ONE_FA });
  });

  test('prompt=create, then Cancel and sign in with an existing account: the request is answered, not prompted again', async () => {
    const existing = await createUser(app, 'has-one@example.com');
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid', { prompt: 'create' });
    const form = await browser.follow(attempt.url.href);
    const signIn = await signUpAction(browser, form, '/signup', 'cancel');
    expect(signIn.text).toContain('id="password"');
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await submitPassword(browser, signIn, 'has-one@example.com')));
    expect(claims.sub).toBe(existing.id);
  });

  test('a client that demands 2fa: the new account continues to setting up a second factor', async () => {
    const { browser, page, code } = await atCodeStep('needs2fa@example.com', { acr_values: TWO_FA });
    const next = await finishSignUp(browser, page, code);
    expect(next.text).toContain('Protect your account');
    expect(await app.container.stores.accounts.findByEmail('needs2fa@example.com')).not.toBeNull();
  });

  test('"Resend code": a new code, and the old one no longer works', async () => {
    const { browser, page, code: first } = await atCodeStep('resend@example.com');
    const resent = await signUpAction(browser, page, '/signup-code', 'resend');
    expect(resent.text).toContain('We sent a new code to <strong>resend@example.com</strong>');
    expect(resent.text).toContain('The previous code no longer works.');
    const second = codeIn(await lastOutboxMessage(app, 'resend@example.com'));
    // Two random codes are equal once in a million: the old one is then the new one.
    if (second !== first) {
      const refused = await submitSignUpCode(browser, resent, first);
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('That code is not right or has expired');
    }
    const done = await finishSignUp(browser, resent, second);
    expect(done.location ?? done.text).toMatch(/\/auth\/|Allow access/);
    expect(await app.container.stores.accounts.findByEmail('resend@example.com')).not.toBeNull();
  });

  test('an expired code is refused and creates nothing', async () => {
    const { browser, page, code } = await atCodeStep('slow@example.com');
    clock.advance(10 * 60_000 + 1_000);
    const refused = await submitSignUpCode(browser, page, code);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('That code is not right or has expired');
    expect(await app.container.stores.accounts.findByEmail('slow@example.com')).toBeNull();
  });

  test('a code works once: sent 10 times at the same time, one creates the account, the others are refused', async () => {
    const { browser, page, code } = await atCodeStep('twice@example.com');
    const uid = page.url.split('/').pop()!;
    const csrf = page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    const answers = await Promise.all(Array.from({ length: 10 }, () => browser.post(`/interaction/${uid}/signup-code`, { _csrf: csrf, action: 'verify', code })));
    // The winner and any request arriving after the flow finished are sent to the same resume;
    // the others lost the code (400) or came while the flow was moving on (409).
    const redirected = answers.filter((a) => a.status === 303);
    expect(redirected.length).toBeGreaterThanOrEqual(1);
    expect(new Set(redirected.map((a) => a.location)).size).toBe(1);
    expect(answers.filter((a) => a.status !== 303).every((a) => a.status === 400 || a.status === 409)).toBe(true);
    expect((await app.container.stores.accounts.list()).filter((a) => a.email === 'twice@example.com')).toHaveLength(1);
  });

  test('wrong codes: 5 free, then a wait, counted per email address across sign-ups', async () => {
    const first = await atCodeStep('guessed@example.com');
    const second = await atCodeStep('guessed@example.com');
    const wrong = (c: string) => (c === '000000' ? '111111' : '000000');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { browser, page, code } = i % 2 === 0 ? first : second;
      statuses.push((await submitSignUpCode(browser, page, wrong(code))).status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
    // Now even the right code waits: the limit is not fooled by a correct guess.
    const blocked = await submitSignUpCode(second.browser, second.page, second.code);
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('Too many wrong codes for this email address');
    expect(await app.container.stores.accounts.findByEmail('guessed@example.com')).toBeNull();
  });

  test('an address in use: the same pages until the code, then "already in use" with Sign in, Forgot password and Cancel', async () => {
    const owner = await createUser(app, 'owned@example.com');
    const free = await atCodeStep('unowned@example.com');
    const taken = await atCodeStep('owned@example.com');
    // Nothing on the page tells the two apart (beyond the address typed and the form's ids).
    const scrub = (page: Landing, email: string) =>
      page.text.replaceAll(email, 'EMAIL').replace(/\/interaction\/[^/"]+/g, '/interaction/UID').replace(/value="[^"]{20,}"/g, 'value="CSRF"');
    expect(taken.page.status).toBe(free.page.status);
    expect(scrub(taken.page, 'owned@example.com')).toBe(scrub(free.page, 'unowned@example.com'));
    // A wrong code is answered alike too.
    const wrongFree = await submitSignUpCode(free.browser, free.page, free.code === '000000' ? '111111' : '000000');
    const wrongTaken = await submitSignUpCode(taken.browser, taken.page, taken.code === '000000' ? '111111' : '000000');
    expect(wrongTaken.status).toBe(wrongFree.status);
    expect(scrub(wrongTaken, 'owned@example.com')).toBe(scrub(wrongFree, 'unowned@example.com'));

    // Only the inbox's owner reads that the address has an account.
    const mail = await lastOutboxMessage(app, 'owned@example.com');
    expect(mail.text).toContain('This email address already has a Latchkey account');
    expect(mail.text).toContain('Someone tried to create a new Latchkey account with your email address');

    const inUse = await submitSignUpCode(taken.browser, wrongTaken, taken.code);
    expect(inUse.status).toBe(200);
    expect(inUse.text).toContain('this email address is already in use');
    expect(linkTo(inUse, 'Forgot password')).toMatch(/^\/password\/forgot\?interaction=/);
    expect(inUse.text).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(inUse.text).toContain('>Cancel</button>');
    // Nothing changed on the account: no second one, the owner's password still works.
    expect((await app.container.stores.accounts.list()).filter((a) => a.email === 'owned@example.com')).toHaveLength(1);
    expect((await app.container.stores.accounts.findById(owner.id))?.passwordHash).toBe(owner.passwordHash);

    const signIn = await signUpAction(taken.browser, inUse, '/signup-taken', 'cancel');
    expect(signIn.text).toContain('id="password"');
    const claims = await idTokenClaims(config, taken.attempt, await returnToApp(taken.browser, await submitPassword(taken.browser, signIn, 'owned@example.com', TEST_PASSWORD)));
    expect(claims.sub).toBe(owner.id);
  });

  test('"Sign in" on the in-use page goes back to the sign-in form', async () => {
    await createUser(app, 'owned-too@example.com');
    const { browser, page, code } = await atCodeStep('owned-too@example.com');
    const inUse = await submitSignUpCode(browser, page, code);
    const signIn = await signUpAction(browser, inUse, '/signup-taken', 'signin');
    expect(signIn.text).toContain('id="password"');
    expect(signIn.text).toContain('Create account');
  });

  test('Cancel on the code page goes back to sign-in and creates nothing', async () => {
    const { browser, page } = await atCodeStep('cancelled@example.com');
    const signIn = await signUpAction(browser, page, '/signup-code', 'cancel');
    expect(signIn.text).toContain('id="password"');
    expect(await app.container.stores.accounts.findByEmail('cancelled@example.com')).toBeNull();
  });

  test('bad input: a 4xx page that keeps what was typed (never the password), with the strength hint', async () => {
    const { browser, form } = await atSignUpForm();
    const common = await submitSignUp(browser, form, { name: 'Eve', email: 'eve@example.com', password: 'password123' });
    expect(common.status).toBe(400);
    expect(common.text).toContain('This password is on lists of common or leaked passwords');
    expect(common.text).toContain('Password strength: <strong>Very weak</strong>');
    expect(common.text).toContain('value="eve@example.com"');
    expect(common.text).toContain('value="Eve"');
    expect(common.text).not.toContain('password123');

    const weak = await submitSignUp(browser, common, { name: 'Eve', email: 'eve@example.com', password: 'eve@example.com1' });
    expect(weak.status).toBe(400);
    expect(weak.text).toContain('This password is too easy to guess');
    expect(weak.text).toContain('id="password-strength"');

    const short = await submitSignUp(browser, weak, { name: 'Eve', email: 'eve@example.com', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.text).toContain('Use a password of at least 8 characters.');
    const email = await submitSignUp(browser, short, { name: 'Eve', email: 'not an email', password: NEW_PASSWORD });
    expect(email.status).toBe(400);
    expect(email.text).toContain('Enter a valid email address.');
    const name = await submitSignUp(browser, email, { name: '  ', email: 'eve@example.com', password: NEW_PASSWORD });
    expect(name.status).toBe(400);
    expect(name.text).toContain('Enter your name');
    const long = await submitSignUp(browser, name, { name: 'Eve', email: 'eve@example.com', password: 'x'.repeat(129) });
    expect(long.status).toBe(400);
    expect(await app.container.stores.accounts.findByEmail('eve@example.com')).toBeNull();

    const uid = form.url.split('/').pop()!;
    const csrf = form.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    // Another step's action, a code without a sign-up, a huge field, no CSRF token.
    expect((await browser.post(`/interaction/${uid}/login`, { _csrf: csrf, email: 'eve@example.com', password: 'x' })).status).toBe(409);
    expect((await browser.post(`/interaction/${uid}/signup-code`, { _csrf: csrf, action: 'verify', code: '123456' })).status).toBe(409);
    expect((await browser.post(`/interaction/${uid}/signup`, { _csrf: csrf, name: 'x'.repeat(9000) })).status).toBe(400);
    expect((await browser.post(`/interaction/${uid}/signup`, { name: 'Eve', email: 'eve@example.com', password: NEW_PASSWORD })).status).toBe(403);
  });
});
