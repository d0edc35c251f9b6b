import request from 'supertest';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { ConsolePages, csrfFor, notifications, type ListedFactor } from '../support/console.js';

/**
 * What the console does with input it did not ask for: another account's factor ids,
 * oversized or mistyped fields, stale setups, forged callbacks. Every one is a 4xx page
 * and changes nothing.
 */
describe('the account console refuses bad input with a 4xx page and changes nothing', () => {
  let app: TestApp;
  let ada: ConsolePages;
  let bob: ConsolePages;
  let bobFactor: ListedFactor;

  beforeAll(async () => {
    app = await startTestApp();
    await createUser(app, 'bob@example.com');
    bob = new ConsolePages(app, { email: 'bob@example.com' });
    await bob.visit('/account');
    await bob.addTotp();
    [bobFactor] = (await bob.factors()) as [ListedFactor];
  });
  afterAll(() => app.close());

  let n = 0;
  beforeEach(async () => {
    // Someone new each time, signed in just now (so allowed to make changes), without a factor.
    n++;
    await createUser(app, `ada${n}@example.com`);
    ada = new ConsolePages(app, { email: `ada${n}@example.com` });
    expect((await ada.visit('/account')).status).toBe(200);
  });

  const bobsFactors = async () => app.container.stores.factors.listForAccount((await app.container.stores.accounts.findByEmail('bob@example.com'))!.id);
  const outboxSize = async () => (await app.container.delivery.outbox!.read()).length;

  test("another account's factor id is a 404 page for every page and every change; it is untouched and nobody is notified", async () => {
    const before = await bobsFactors();
    const outbox = await outboxSize();
    const profile = await ada.visit('/account');
    for (const path of ['rename', 'remove', 'change']) {
      const page = await ada.browser.get(`/account/security/factors/${bobFactor.id}/${path}`);
      expect(page.status).toBe(404);
      expect(page.text).toContain('Page not found');
      const posted = await ada.post(profile, `/account/security/factors/${bobFactor.id}/${path}`, { label: 'Mine now', country: 'GB', number: '07400 123456', channel: 'sms' });
      expect(posted.status).toBe(404);
    }
    expect(await bobsFactors()).toEqual(before);
    expect(await outboxSize()).toBe(outbox);
    expect(await notifications(app, 'bob@example.com')).toHaveLength(1);
  });

  test('unknown and malformed factor ids and kinds are 404 pages', async () => {
    const profile = await ada.visit('/account');
    for (const path of [
      '/account/security/factors/00000000-0000-4000-8000-000000000000/rename',
      `/account/security/factors/${'x'.repeat(300)}/remove`,
      '/account/security/add/sms',
      '/account/security/add/backup_code',
      '/account/security/add/TOTP',
    ]) {
      expect((await ada.browser.get(path)).status).toBe(404);
      expect((await ada.post(profile, path, {})).status).toBe(404);
    }
    // "Set up again" is for the account's own factors only; for an app it sets up a new seed.
    await ada.addTotp();
    const [own] = await ada.factors();
    const again = await ada.browser.get(`/account/security/factors/${own!.id}/change`);
    expect(again.status).toBe(200);
    expect(again.text).toContain('Set up again: Authenticator app');
    for (const id of ['00000000-0000-4000-8000-000000000000', 'x'.repeat(65), '..%2F..']) {
      expect((await ada.browser.get(`/account/security/factors/${id}/change`)).status).toBe(404);
    }
  });

  test('a name that is empty, too long, invisible trickery or not a string is refused with the form again (400)', async () => {
    await ada.addTotp();
    const [factor] = await ada.factors();
    const path = `/account/security/factors/${factor!.id}/rename`;
    const page = await ada.visit(path);
    expect(page.text).toContain('value="Authenticator app"');
    for (const label of ['', '   ', 'x'.repeat(65), 'evil\u202Eppa', 'tab\there', 'nul\u0000']) {
      const res = await ada.post(page, path, { label });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Enter a name of 1 to 64 characters');
    }
    const csrf = csrfFor(page, path);
    for (const body of [`_csrf=${csrf}&label=a&label=b`, `_csrf=${csrf}&label[x]=y`, `_csrf=${csrf}&${'a'.repeat(80)}=b`]) {
      const res = await ada.browser.postRaw(path, body);
      expect(res.status).toBe(400);
      expect(res.text).toContain('Something is wrong with this request');
    }
    const huge = await ada.browser.postRaw(path, `_csrf=${csrf}&label=${'x'.repeat(20_000)}`);
    expect(huge.status).toBe(413);
    const stored = await app.container.stores.factors.listForAccount((await app.container.stores.accounts.findByEmail(`ada${n}@example.com`))!.id);
    expect(stored.map((f) => f.label)).toEqual(['Authenticator app']);
  });

  test('bad phone numbers, countries and addresses are 400 pages with the form again; no code is sent', async () => {
    const outbox = await outboxSize();
    const phone = await ada.visit('/account/security/add/phone');
    for (const fields of [
      { country: 'GB', number: '12', channel: 'sms' },
      { country: 'ZZ', number: '07400 123456', channel: 'sms' },
      { country: 'gb', number: '07400 123456', channel: 'sms' },
      { country: 'GB', number: '0'.repeat(41), channel: 'sms' },
      { country: 'GB', number: 'not a number', channel: 'voice' },
    ]) {
      const res = await ada.post(phone, '/account/security/add/phone', fields);
      expect(res.status).toBe(400);
      expect(res.text).toContain('Enter a valid phone number for the country you chose.');
      expect(res.text).toContain('<h1>Set up: Text message or phone call</h1>');
    }
    const tooLong = await ada.post(phone, '/account/security/add/phone', { country: 'GB', number: '1'.repeat(2000) });
    expect(tooLong.status).toBe(400);
    const email = await ada.visit('/account/security/add/email');
    for (const address of ['not-an-address', 'a@b', `${'a'.repeat(320)}@example.com`]) {
      const res = await ada.post(email, '/account/security/add/email', { email: address });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Enter a valid email address.');
    }
    expect(await outboxSize()).toBe(outbox);
    expect(await ada.factors()).toEqual([]);
  });

  test('a confirmation without a setup, or for another kind than the one started, is a 400 page; a wrong code adds nothing', async () => {
    const begin = await ada.visit('/account/security/add/email');
    const none = await ada.post(begin, '/account/security/add/email/confirm', { action: 'finish', code: '123456' });
    expect(none.status).toBe(400);
    expect(none.text).toContain('This setup has expired');

    const confirm = await ada.submit(begin, '/account/security/add/email', { email: 'ada.codes@example.com' });
    expect(confirm.text).toContain('We sent a code to');
    const otherKind = await ada.post(confirm, '/account/security/add/totp/confirm', { action: 'finish', code: '123456' });
    expect(otherKind.status).toBe(400);
    expect(otherKind.text).toContain('This setup has expired');
    const wrong = await ada.post(confirm, '/account/security/add/email/confirm', { action: 'finish', code: 'abc' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That code is not right');
    expect(await ada.factors()).toEqual([]);
  });

  test('a setup started before signing in again is gone afterwards (400), and the new session starts afresh', async () => {
    const begin = await ada.visit('/account/security/add/email');
    const confirm = await ada.submit(begin, '/account/security/add/email', { email: 'ada.later@example.com' });
    expect(confirm.text).toContain('We sent a code to');
    // Signing in again (here: the re-authentication page's button) starts a new console session.
    const again = await ada.visit('/account/reauth?return=/account/security');
    expect(again.url).toBe(`${app.url}/account/security`);
    // The old page's token was bound to the old session.
    const stale = await ada.post(confirm, '/account/security/add/email/confirm', { action: 'finish', code: '000000' });
    expect(stale.status).toBe(403);
    expect(stale.text).toContain('This form has expired');
    const profile = await ada.visit('/account');
    const expired = await ada.post(profile, '/account/security/add/email/confirm', { action: 'finish', code: '000000' });
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('This setup has expired');
    const reopened = await ada.browser.get('/account/security/add/email/confirm');
    expect(reopened.status).toBe(303);
    expect(reopened.location).toBe('/account/security/add/email');
  });

  test('forged or broken callbacks are 400 pages and sign nobody in', async () => {
    const browser = new Browser(app.url);
    const state = new URL((await browser.get('/account')).location!, app.url).searchParams.get('state')!;
    const iss = encodeURIComponent(app.url);
    for (const query of [
      '',
      `?state=${state}`,
      `?code=abc&iss=${iss}`,
      `?code=abc&state=${state}x&iss=${iss}`,
      `?code=abc&state=${state}&iss=${encodeURIComponent('https://evil.example')}`,
      `?code=${'a'.repeat(5000)}&state=${state}&iss=${iss}`,
      `?code=abc&code=def&state=${state}&iss=${iss}`,
      `?code=abc&state=${state}&iss=${iss}`,
    ]) {
      // Each attempt gets a fresh login state: a refused callback clears it.
      const fresh = new URL((await browser.get('/account')).location!, app.url).searchParams.get('state')!;
      const page = await browser.get(`/account/callback${query.replace(state, fresh)}`);
      expect(page.status).toBe(400);
      expect(page.text).toContain('This sign-in has expired');
    }
    const cancelled = await browser.get(`/account/callback?error=access_denied&state=${new URL((await browser.get('/account')).location!, app.url).searchParams.get('state')}`);
    expect(cancelled.status).toBe(400);
    expect(cancelled.text).toContain('Sign-in cancelled');
    expect((await browser.get('/account')).status).toBe(303);
  });

  test('the return path is a console path or /account: no open redirect', async () => {
    for (const target of ['https://evil.example/', '//evil.example', '/account/../interaction', '/account?x=1', '/accounts', 'javascript:alert(1)']) {
      const pages = new ConsolePages(app, { email: `ada${n}@example.com` });
      const landed = await pages.visit(`/account/reauth?return=${encodeURIComponent(target)}`);
      expect(landed.url).toBe(`${app.url}/account`);
    }
  });

  test('methods a console path does not have are 405; JSON clients get JSON errors', async () => {
    const res = await request(app.url).put('/account').set('Accept', 'text/html');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('GET');
    const cb = await request(app.url).get('/account/callback').set('Accept', 'application/json');
    expect(cb.status).toBe(400);
    expect(cb.body.error).toBe('account_signin_expired');
  });
});
