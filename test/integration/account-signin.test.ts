import request from 'supertest';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { ConsolePages, csrfFor, isSignInPage, latestCode, signInAs } from '../support/console.js';
import { answerSignOutPrompt, authorizationRequest, discover, registerWebClient, REDIRECT_URI, agreeIfAsked } from '../support/rp.js';

const setCookies = (page: Page): string[] => {
  const header = page.headers['set-cookie'];
  return Array.isArray(header) ? header : header ? [header] : [];
};
const cookieLine = (page: Page, name: string) => setCookies(page).find((c) => c.startsWith(`${name}=`));

/**
 * Walks a console sign-in by hand up to the authorization response: returns the callback
 * URL (with the code) without letting the browser visit it.
 */
async function callbackUrlFor(browser: Browser, email: string): Promise<string> {
  const start = await browser.get('/account');
  const login = await browser.follow(new URL(start.location!, browser.baseUrl).href);
  expect(isSignInPage(login)).toBe(true);
  let page = await browser.post(formAction(login.text, '/login'), { _csrf: inputValue(login.text, '_csrf')!, email, password: 'correct horse battery staple' });
  while (page.location && !page.location.includes('/account/callback')) page = await browser.get(page.location);
  if (!page.location) throw new Error(`Expected the authorization response, got ${page.status}:\n${page.text}`);
  return page.location;
}

describe('the account console signs in through /auth like any relying party', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await createUser(app, 'ada@example.com');
    await createUser(app, 'bob@example.com');
  });
  afterAll(() => app.close());

  test('without a session, /account starts an authorization request as latchkey-console with state and PKCE S256', async () => {
    const browser = new Browser(app.url);
    const start = await browser.get('/account');
    expect(start.status).toBe(303);
    const auth = new URL(start.location!, app.url);
    expect(auth.pathname).toBe('/auth');
    expect(Object.fromEntries(auth.searchParams)).toMatchObject({
      client_id: 'latchkey-console',
      response_type: 'code',
      scope: 'openid profile email',
      redirect_uri: `${app.url}/account/callback`,
      code_challenge_method: 'S256',
    });
    expect(auth.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.searchParams.has('prompt')).toBe(false);
    // The state and verifier travel sealed in a short-lived, signed, HttpOnly, SameSite=Lax cookie.
    const loginCookie = cookieLine(start, 'lk.console-login')!;
    expect(loginCookie).toMatch(/httponly/i);
    expect(loginCookie).toMatch(/samesite=lax/i);
    expect(loginCookie).toMatch(/expires=/i);
    expect(loginCookie).not.toContain(auth.searchParams.get('state')!);
    expect(cookieLine(start, 'lk.console-login.sig')).toBeDefined();
  });

  test('signing in with the password lands on the profile, without a consent page, in a signed HttpOnly session cookie', async () => {
    const browser = new Browser(app.url);
    const callback = await callbackUrlFor(browser, 'ada@example.com');
    expect(callback).toMatch(new RegExp(`^${app.url}/account/callback\\?code=[^&]+&state=[^&]+&iss=`));
    const back = await browser.get(callback);
    expect(back.status).toBe(303);
    expect(back.location).toBe('/account');
    const session = cookieLine(back, 'lk.console')!;
    expect(session).toMatch(/path=\/;/i);
    expect(session).toMatch(/httponly/i);
    expect(session).toMatch(/samesite=lax/i);
    expect(cookieLine(back, 'lk.console.sig')).toBeDefined();

    const profile = await browser.get('/account');
    expect(profile.status).toBe(200);
    expect(profile.text).toContain('<h1>Your account</h1>');
    expect(profile.text).toContain('Ada Lovelace');
    expect(profile.text).toContain('ada@example.com');
    expect(profile.text).toContain('(verified)');
    expect(profile.text).not.toContain('Allow access');
  });

  test('a session cookie whose signature does not match is no session', async () => {
    const pages = new ConsolePages(app, { email: 'ada@example.com' });
    await pages.visit('/account');
    pages.browser.setCookie('lk.console', 'A'.repeat(43));
    const again = await pages.browser.get('/account');
    expect(again.status).toBe(303);
    expect(again.location).toMatch(/^\/auth\?/);
  });

  test('the callback replayed (the state cookie is gone) is a 400 page, not a second session', async () => {
    const browser = new Browser(app.url);
    const callback = await callbackUrlFor(browser, 'ada@example.com');
    expect((await browser.get(callback)).status).toBe(303);
    const replay = await browser.get(callback);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('This sign-in has expired');
  });

  test('two redemptions of one code at once: one session, one 400, and the reuse revokes the grant', async () => {
    const browser = new Browser(app.url);
    const callback = await callbackUrlFor(browser, 'ada@example.com');
    const results = await Promise.all([browser.get(callback), browser.get(callback)]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 400]);
    // The loser's reuse revoked the grant, and the winner's console session with it.
    const after = await browser.get('/account');
    expect(after.status).toBe(303);
    expect(after.location).toMatch(/^\/auth\?/);
  });

  test('a code with another browser\'s state (so its verifier) is refused and stays usable by its owner', async () => {
    const owner = new Browser(app.url);
    const callback = new URL(await callbackUrlFor(owner, 'ada@example.com'));
    const other = new Browser(app.url);
    const otherStart = new URL((await other.get('/account')).location!, app.url);
    const forged = new URL(callback);
    forged.searchParams.set('state', otherStart.searchParams.get('state')!);
    const refused = await other.get(forged.href);
    expect(refused.status).toBe(400);
    expect((await other.get('/account')).status).toBe(303);
    // PKCE was checked before the code was consumed: the owner still signs in with it.
    expect((await owner.get(callback.href)).location).toBe('/account');
    expect((await owner.get('/account')).status).toBe(200);
  });

  test('a code issued to another client is refused at the console callback', async () => {
    const config = await discover(app, await registerWebClient(app));
    const browser = new Browser(app.url);
    await callbackUrlFor(browser, 'ada@example.com');
    // A fresh console login state, then a code for the RP from the same signed-in browser.
    const consoleState = new URL((await browser.get('/account')).location!, app.url).searchParams.get('state')!;
    const attempt = await authorizationRequest(config, 'openid');
    const landing = await agreeIfAsked(browser, await browser.follow(attempt.url.href));
    expect(landing.location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));
    const rpCode = new URL(landing.location!).searchParams.get('code')!;
    const page = await browser.get(`/account/callback?code=${rpCode}&state=${consoleState}&iss=${encodeURIComponent(app.url)}`);
    expect(page.status).toBe(400);
    expect((await browser.get('/account')).status).toBe(303);
  });

  test('nobody can redeem a console code at the token endpoint: the client authenticates with a secret nobody has', async () => {
    const browser = new Browser(app.url);
    const callback = new URL(await callbackUrlFor(browser, 'ada@example.com'));
    const token = await request(app.url)
      .post('/token')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: `${app.url}/account/callback`,
        code_verifier: 'x'.repeat(43),
        client_id: 'latchkey-console',
      });
    expect(token.status).toBe(401);
    expect(token.body.error).toBe('invalid_client');
    expect((await browser.get(callback.href)).location).toBe('/account');
  });

  test('the console is not a stored client: `latchkey clients` neither lists nor deletes it', async () => {
    expect((await app.container.clients.list()).map((c) => c.client_id)).not.toContain('latchkey-console');
    expect(await app.container.clients.delete('latchkey-console')).toBe(false);
  });

  test('the sign-in is the same flow as every app: an account with a second factor answers it', async () => {
    await createUser(app, 'carol@example.com');
    const account = (await app.container.stores.accounts.findByEmail('carol@example.com'))!;
    await app.container.stores.factors.create({ accountId: account.id, kind: 'email', label: null, data: { email: 'carol.codes@example.com' }, counter: 0 });
    const browser = new Browser(app.url);
    let asked = 0;
    const landed = await signInAs(browser, await browser.follow('/account'), {
      email: 'carol@example.com',
      secondFactor: () => {
        asked++;
        return latestCode(app, 'carol.codes@example.com');
      },
    });
    expect(asked).toBe(1);
    expect(landed.url).toBe(`${app.url}/account`);
    expect(landed.text).toContain('carol@example.com');
  });

  test('sign-out: POST with the CSRF token ends the console session and asks about the Latchkey session', async () => {
    const pages = new ConsolePages(app, { email: 'ada@example.com' });
    const profile = await pages.visit('/account');
    const refused = await pages.browser.post('/account/signout', {});
    expect(refused.status).toBe(403);
    expect((await pages.browser.get('/account')).status).toBe(200);

    const out = await pages.post(profile, '/account/signout');
    expect(out.status).toBe(303);
    expect(out.location).toBe('/session/end?client_id=latchkey-console');
    // The console session is gone; "Yes" ends the Latchkey session too: the password is asked again.
    expect((await pages.browser.get('/account')).status).toBe(303);
    const done = await answerSignOutPrompt(pages.browser, `${app.url}${out.location}`, true);
    expect(done.text).toContain('You are signed out');
    expect(isSignInPage(await pages.browser.follow('/account'))).toBe(true);
  });

  test('signing out of Latchkey elsewhere (its own sign-out page) ends the console session too', async () => {
    const pages = new ConsolePages(app, { email: 'bob@example.com' });
    expect((await pages.visit('/account')).text).toContain('bob@example.com');
    await answerSignOutPrompt(pages.browser, `${app.url}/session/end`, true);
    const again = await pages.browser.follow('/account');
    expect(isSignInPage(again)).toBe(true);
  });

  test('a console form posted without its token, or with one from another session, changes nothing (403)', async () => {
    const ada = new ConsolePages(app, { email: 'ada@example.com' });
    const bob = new ConsolePages(app, { email: 'bob@example.com' });
    const adaPage = await ada.visit('/account/security/add/totp');
    await bob.visit('/account/security/add/totp');
    const foreign = await bob.browser.post('/account/security/add/totp', { _csrf: csrfFor(adaPage, '/account/security/add/totp') });
    expect(foreign.status).toBe(403);
    expect(foreign.text).toContain('This form has expired');
    const none = await ada.browser.post('/account/security/add/totp', {});
    expect(none.status).toBe(403);
  });
});

describe('on an https issuer', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ https: true });
  });
  afterAll(() => app.close());

  test('the console cookies take the __Host- prefix and Secure', async () => {
    const res = await request(app.url).get('/account').set({ 'X-Forwarded-Proto': 'https', Accept: 'text/html' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/auth\?/);
    const login = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-lk.console-login='))!;
    expect(login).toMatch(/;\s*secure/i);
    expect(login).toMatch(/path=\//i);
    expect(login).not.toMatch(/domain=/i);
    expect(new URL(res.headers.location!, app.issuer).searchParams.get('redirect_uri')).toBe(`${app.issuer}/account/callback`);
  });
});
