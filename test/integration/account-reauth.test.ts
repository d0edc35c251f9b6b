import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { formAction, inputValue, type Page } from '../support/browser.js';
import { ConsolePages, isSignInPage, notifications, TimeShift, type ListedFactor } from '../support/console.js';
import { totpCode } from '../support/totp.js';

const MINUTE = 60_000;
const REFUSAL = 'For your security, sign in again to make this change.';

describe('a change to sign-in methods needs a re-authentication within the last 5 minutes', () => {
  let app: TestApp;
  let time: TimeShift;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  beforeEach(() => {
    time = new TimeShift();
  });
  afterEach(() => time.restore());

  /** A person who added an authenticator app in a fresh console session; the app answers their factor step (counted in `asked`). */
  async function withTotp(email: string): Promise<{ pages: ConsolePages; factor: ListedFactor; asked: () => number }> {
    await createUser(app, email);
    let secret = '';
    let asked = 0;
    const pages = new ConsolePages(app, {
      email,
      secondFactor: () => {
        asked++;
        return totpCode(secret, Date.now());
      },
    });
    expect((await pages.visit('/account')).status).toBe(200);
    secret = (await pages.addTotp()).secret;
    const [factor] = await pages.factors();
    return { pages, factor: factor!, asked: () => asked };
  }

  const accountId = async (email: string) => (await app.container.stores.accounts.findByEmail(email))!.id;

  test('after 5 minutes every change is refused with a 403 page that offers to sign in again; nothing changes, nothing is sent', async () => {
    const { pages, factor } = await withTotp('late@example.com');
    const forms: { page: Page; action: string; fields: Record<string, string> }[] = [
      { page: await pages.visit(`/account/security/factors/${factor.id}/rename`), action: `/account/security/factors/${factor.id}/rename`, fields: { label: 'Renamed' } },
      { page: await pages.visit(`/account/security/factors/${factor.id}/remove`), action: `/account/security/factors/${factor.id}/remove`, fields: {} },
      { page: await pages.visit('/account/security/add/email'), action: '/account/security/add/email', fields: { email: 'late.codes@example.com' } },
      { page: await pages.visit('/account/security/add/totp'), action: '/account/security/add/totp', fields: {} },
    ];
    const outboxBefore = (await app.container.delivery.outbox!.read()).length;
    const storedBefore = await app.container.stores.factors.listForAccount(await accountId('late@example.com'));

    time.advance(5 * MINUTE + 1_000);
    for (const { page, action, fields } of forms) {
      const refused = await pages.post(page, action, fields);
      expect(refused.status).toBe(403);
      expect(refused.text).toContain(REFUSAL);
      expect(refused.text).toContain('Nothing was changed.');
      expect(refused.text).toContain('<form method="get" action="/account/reauth">');
      expect(inputValue(refused.text, 'return')).toBe(action);
    }
    expect(await app.container.stores.factors.listForAccount(await accountId('late@example.com'))).toEqual(storedBefore);
    expect((await app.container.delivery.outbox!.read()).length).toBe(outboxBefore);
  });

  test('within 5 minutes of the sign-in, changes need no second sign-in', async () => {
    const { pages, factor } = await withTotp('quick@example.com');
    time.advance(4 * MINUTE);
    const page = await pages.rename(factor.id, 'Still quick');
    expect(page.text).toContain('The sign-in method was renamed.');
    expect(isSignInPage(page)).toBe(false);
  });

  test('a change page opened later re-authenticates (prompt=login, max_age=0, acr 2fa): password and the app, then back to the page', async () => {
    const { pages, factor, asked } = await withTotp('back@example.com');
    time.advance(6 * MINUTE);
    const path = `/account/security/factors/${factor.id}/remove`;
    const start = await pages.browser.get(path);
    expect(start.status).toBe(303);
    const auth = new URL(start.location!, app.url);
    expect(auth.pathname).toBe('/auth');
    expect(auth.searchParams.get('client_id')).toBe('latchkey-console');
    expect(auth.searchParams.get('prompt')).toBe('login');
    expect(auth.searchParams.get('max_age')).toBe('0');
    expect(auth.searchParams.get('acr_values')).toBe('urn:latchkey:acr:2fa');

    // The Latchkey session is alive, yet the password is asked again, then the second factor.
    const login = await pages.browser.follow(auth.href);
    expect(isSignInPage(login)).toBe(true);
    const landed = await pages.signIn(login);
    expect(asked()).toBe(1);
    expect(landed.url).toBe(`${app.url}${path}`);

    const sent = (await notifications(app, 'back@example.com')).length;
    const done = await pages.submit(landed, path);
    expect(done.text).toContain('The sign-in method was removed.');
    expect(await pages.factors()).toEqual([]);
    expect((await notifications(app, 'back@example.com')).length).toBe(sent + 1);
  });

  test('the refusal page\'s button re-authenticates and comes back to the form, which then works', async () => {
    const { pages, factor } = await withTotp('button@example.com');
    const path = `/account/security/factors/${factor.id}/rename`;
    const form = await pages.visit(path);
    time.advance(6 * MINUTE);
    const refused = await pages.post(form, path, { label: 'Desk' });
    expect(refused.status).toBe(403);
    const again = await pages.visit(`/account/reauth?return=${encodeURIComponent(inputValue(refused.text, 'return')!)}`);
    expect(again.url).toBe(`${app.url}${path}`);
    const done = await pages.submit(again, path, { label: 'Desk' });
    expect(done.text).toContain('The sign-in method was renamed.');
    expect((await pages.factors())[0]!.text).toContain('Desk');
  });

  test('without a second factor the re-authentication asks for the password only (no acr_values)', async () => {
    await createUser(app, 'plain@example.com');
    const pages = new ConsolePages(app, { email: 'plain@example.com' });
    await pages.visit('/account');
    time.advance(6 * MINUTE);
    const start = await pages.browser.get('/account/security/add');
    const auth = new URL(start.location!, app.url);
    expect(auth.searchParams.get('prompt')).toBe('login');
    expect(auth.searchParams.get('max_age')).toBe('0');
    expect(auth.searchParams.has('acr_values')).toBe(false);
    const landed = await pages.visit(auth.href);
    expect(landed.url).toBe(`${app.url}/account/security/add`);
    expect(landed.text).toContain('<h1>Add a sign-in method</h1>');
  });

  test('an old sign-in does not elevate: a new console session on a Latchkey session over a minute old must re-authenticate', async () => {
    await createUser(app, 'old@example.com');
    const pages = new ConsolePages(app, { email: 'old@example.com' });
    await pages.visit('/account');
    time.advance(2 * MINUTE);
    // A new console session (its cookie lost), signed in silently from the Latchkey session.
    pages.browser.setCookie('lk.console', 'gone');
    const silent = await pages.browser.follow('/account');
    expect(silent.status).toBe(200);
    expect(silent.text).toContain('<h1>Your account</h1>');
    const add = await pages.browser.get('/account/security/add');
    expect(add.status).toBe(303);
    expect(new URL(add.location!, app.url).searchParams.get('prompt')).toBe('login');
    const refused = await pages.post(silent, '/account/security/add/totp');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain(REFUSAL);
  });

  test('a re-authentication weaker than the account now needs does not elevate, and says so instead of looping', async () => {
    await createUser(app, 'weak@example.com');
    const pages = new ConsolePages(app, { email: 'weak@example.com' });
    await pages.visit('/account/security');
    time.advance(6 * MINUTE);
    const start = await pages.browser.get('/account/security/add');
    const login = await pages.browser.follow(new URL(start.location!, app.url).href);
    const afterPassword = await pages.browser.post(formAction(login.text, '/login'), { _csrf: inputValue(login.text, '_csrf')!, email: 'weak@example.com', password: TEST_PASSWORD });
    expect(afterPassword.status).toBe(303);
    // Meanwhile a second factor is added elsewhere: a password-only sign-in no longer allows changes.
    await app.container.stores.factors.create({ accountId: await accountId('weak@example.com'), kind: 'email', label: null, data: { email: 'weak.codes@example.com' }, counter: 0 });
    const back = await pages.browser.follow(new URL(afterPassword.location!, app.url).href);
    expect(back.status).toBe(403);
    expect(back.text).toContain('We could not confirm that it was you just now.');
    const refused = await pages.post(await pages.browser.get('/account'), '/account/security/add/totp');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain(REFUSAL);
  });
});
