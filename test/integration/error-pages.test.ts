import type { Stores } from '../../src/store/ports.js';
import { BackendUnavailableError } from '../../src/store/ports.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { send } from '../support/http.js';
import { authorizationRequest, discover, registerWebClient } from '../support/rp.js';
import { watchServerErrors, type ServerErrorWatch } from '../support/server-errors.js';

/** The parts of an error page a person reads, in order. */
function errorPage(page: Pick<Page, 'text'>) {
  const unescape = (html: string | undefined) => html?.replace(/&#x27;/g, "'");
  return {
    heading: unescape(page.text.match(/<h1>([^<]*)<\/h1>/)?.[1]),
    text: unescape(page.text.match(/<\/h1>\s*<p>([^<]*)<\/p>/)?.[1]),
    code: page.text.match(/Error code: <code>([^<]*)<\/code>/)?.[1],
  };
}

describe('error pages say what happened and what to do next', () => {
  let app: TestApp;
  let watch: ServerErrorWatch;
  beforeAll(async () => {
    app = await startTestApp();
    watch = watchServerErrors(app);
  });
  afterAll(async () => {
    watch.stop();
    await app.close();
  });
  afterEach(() => expect(watch.errors).toEqual([]));

  test('404: "Page not found", as a page or as JSON', async () => {
    const page = await new Browser(app.url).get('/no/such/page');
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(errorPage(page)).toEqual({
      heading: 'Page not found',
      text: 'There is nothing at this address. Check it for typing mistakes, or go back to the app and start again.',
      code: 'not_found',
    });
    expect(page.text).toContain('<title>Page not found · Latchkey</title>');

    const json = await send(app.url, { method: 'GET', path: '/no/such/page', headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(JSON.parse(json.body)).toEqual({ error: 'not_found', error_description: expect.stringContaining('There is nothing at this address') });
  });

  describe('the device pages without a stored session', () => {
    const sessionCookie = (headers: Page['headers']) =>
      ([] as string[]).concat(headers['set-cookie'] ?? []).filter((c) => c.startsWith('_session='));

    const expectExpiredDevicePage = (res: { status: number; headers: Page['headers']; body: string }) => {
      expect(res.status).toBe(400);
      expect(errorPage({ text: res.body })).toEqual({
        heading: 'This device sign-in has expired',
        text: 'This device sign-in has expired or was already completed. Start again on your device, then enter the code it shows.',
        code: 'device_expired',
      });
      expect(res.body).toContain('<a href="/device">Enter a code from your device</a>');
      // Nothing is stored for such a request: no session cookie is handed out.
      expect(sessionCookie(res.headers)).toEqual([]);
    };

    test.each([
      ['POST /device', { method: 'POST', path: '/device', body: 'xsrf=abc&user_code=BCDF-GHJK' }],
      ['POST /device, confirming', { method: 'POST', path: '/device', body: 'xsrf=abc&user_code=BCDF-GHJK&confirm=yes' }],
      ['GET /device/:uid', { method: 'GET', path: '/device/anything' }],
    ])('%s without a session cookie answers 400 "start again on your device", not 500', async (_name, req) => {
      expectExpiredDevicePage(await send(app.url, { ...req, headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' } }));
    });

    test('a session cookie whose session is gone gets the code input again, with the reason', async () => {
      const browser = new Browser(app.url);
      await browser.get('/device');
      const stale = browser.cookie('_session')!;
      await (await app.container.provider.Session.find(stale))!.destroy();
      for (const page of [await browser.post('/device', { xsrf: 'abc', user_code: 'BCDF-GHJK' }), await browser.get('/device/anything')]) {
        expect(page.status).toBe(400);
        expect(page.text).toContain('<h1>Connect a device</h1>');
        expect(page.text).toContain('<p class="alert" role="alert">This device sign-in has expired or was already completed.');
      }
    });

    test('with a stored session, a stale form re-renders the code input with the reason', async () => {
      const browser = new Browser(app.url);
      await browser.get('/device');
      const page = await browser.post('/device', { xsrf: 'not-the-token', user_code: 'BCDF-GHJK' });
      expect(page.status).toBe(400);
      expect(page.text).toContain('<h1>Connect a device</h1>');
      expect(page.text).toContain('This device sign-in has expired or was already completed.');
      // The re-rendered form carries a fresh token that the stored session knows.
      const again = await browser.post('/device', { xsrf: inputValue(page.text, 'xsrf')!, user_code: 'BCDF-GHJK' });
      expect(again.status).toBe(200);
      expect(again.text).toContain('That code is not valid or has expired.');
    });
  });

  test('a sign-out form posted twice (or without its session) says the sign-out has expired', async () => {
    const page = await new Browser(app.url).post('/session/end/confirm', { xsrf: 'whatever', logout: 'yes' });
    expect(page.status).toBe(400);
    expect(errorPage(page)).toEqual({
      heading: 'This sign-out has expired',
      text: 'This sign-out request has expired or was already completed. If you still want to sign out, go back to the app and sign out again.',
      code: 'invalid_request',
    });
  });

  test("an unregistered post_logout_redirect_uri: the app's developer must register it", async () => {
    const client = await registerWebClient(app);
    const url = `/session/end?client_id=${client.client_id}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/bye')}`;
    const page = await new Browser(app.url).get(url);
    expect(page.status).toBe(400);
    expect(errorPage(page)).toMatchObject({ heading: "This app's return address is not registered", code: 'invalid_request' });
    expect(errorPage(page).text).toContain("The app's developer must register this address.");
    expect(page.text).not.toContain('evil.example');
  });

  test('an expired sign-in (resumed after the interaction is gone) tells the person to start again from the app', async () => {
    const page = await new Browser(app.url).get('/auth/no-such-interaction');
    expect(page.status).toBe(400);
    expect(errorPage(page)).toEqual({
      heading: 'This sign-in has expired',
      text: 'This sign-in request has expired or was already completed. Go back to the app and start again.',
      code: 'invalid_request',
    });
  });

  test('the favicon is an SVG at /favicon.svg and /favicon.ico, linked from every page', async () => {
    const page = await new Browser(app.url).get('/');
    expect(page.text).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    const svg = await send(app.url, { method: 'GET', path: '/favicon.svg' });
    const ico = await send(app.url, { method: 'GET', path: '/favicon.ico' });
    for (const res of [svg, ico]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/svg+xml');
      expect(res.body).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      // Nothing the CSP would have to allow: no script, no inline style, no external reference.
      expect(res.body).not.toMatch(/<script|<style|style=|href=|on\w+=/i);
    }
    expect(ico.body).toBe(svg.body);
  });
});

/** A store whose every method rejects, as an unreachable backend's would, while `down()` says so. */
function switchable<T extends object>(store: T, name: string, down: () => boolean): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      // oidc.model(name) hands out the store of one model: that store goes down with it.
      if (prop === 'model') return (...args: unknown[]) => switchable(value.apply(target, args), name, down);
      return (...args: unknown[]) => (down() ? Promise.reject(new BackendUnavailableError(name)) : value.apply(target, args));
    },
  });
}

describe('503: storage unreachable', () => {
  const outage = { accounts: false, oidc: false };
  let sqlite: ReturnType<typeof createSqliteStores>;
  let app: TestApp;
  beforeAll(async () => {
    sqlite = createSqliteStores(':memory:');
    const stores: Stores = {
      ...sqlite,
      accounts: switchable(sqlite.accounts, 'accounts', () => outage.accounts),
      oidc: switchable(sqlite.oidc, 'oidc', () => outage.oidc),
    };
    app = await startTestApp({ stores, keepStores: true });
    await createUser(app);
  });
  afterAll(async () => {
    await app.close();
    await sqlite.close();
  });

  const expectUnavailable = (page: Page) => {
    expect([page.status, page.location]).toEqual([503, undefined]);
    expect(page.headers['retry-after']).toBe('5');
    expect(errorPage(page)).toEqual({
      heading: 'Latchkey is temporarily unavailable',
      text: 'Latchkey cannot reach its storage right now. Nothing was changed; please try again in a moment.',
      code: 'service_unavailable',
    });
  };

  test("on our sign-in form and on the provider's pages alike", async () => {
    const client = await registerWebClient(app);
    const config = await discover(app, client);
    const browser = new Browser(app.url);
    const login = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
    expect(login.text).toContain('<h1>Sign in</h1>');
    const signIn = () =>
      browser.post(formAction(login.text, '/login'), { _csrf: inputValue(login.text, '_csrf')!, email: 'ada@example.com', password: TEST_PASSWORD });

    outage.accounts = true;
    try {
      expectUnavailable(await signIn());
    } finally {
      outage.accounts = false;
    }

    outage.oidc = true;
    try {
      expectUnavailable(await browser.get((await authorizationRequest(config, 'openid')).url.href));
      expectUnavailable(await browser.get('/device'));
    } finally {
      outage.oidc = false;
    }
    // Back up, the interrupted sign-in goes on: nothing was changed.
    expect((await signIn()).status).toBe(303);
  });
});
