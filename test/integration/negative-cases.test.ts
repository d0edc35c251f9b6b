import * as oidc from 'openid-client';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue, type Page } from '../support/browser.js';
import { authorizationRequest, discover, REDIRECT_URI, registerWebClient, signInThroughBrowser } from '../support/rp.js';
import type { ClientMetadata } from '../../src/store/ports.js';

const CSP_DEFAULT = "default-src 'none'";

/** Every HTML page carries the strict CSP and refuses framing; returns the page for chaining. */
function html<P extends Page>(page: P): P {
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['content-security-policy']).toContain(CSP_DEFAULT);
  expect(page.headers['x-frame-options']).toBe('DENY');
  return page;
}

describe('negative cases over HTTP', () => {
  let app: TestApp;
  let client: ClientMetadata;
  let config: oidc.Configuration;
  beforeAll(async () => {
    app = await startTestApp();
    await createUser(app);
    client = await registerWebClient(app);
    config = await discover(app, client);
  });
  afterAll(() => app.close());

  /** A fresh browser on the login page of a new authorization request. */
  const openLogin = async () => {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid');
    const page = html(await browser.follow(attempt.url.href));
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Sign in</h1>');
    const action = formAction(page.text, '/login');
    const uid = action.match(/^\/interaction\/([\w-]+)\/login$/)![1]!;
    return { browser, page, action, uid, csrf: inputValue(page.text, '_csrf')! };
  };

  /** The rendered login page with what legitimately differs between two renderings blanked out. */
  const normalize = (text: string, uid: string, csrf: string, email: string) =>
    text
      .split(uid).join('UID').split(csrf).join('CSRF').split(`value="${email}"`).join('value="EMAIL"')
      // Each page offers a fresh passkey challenge.
      .replace(/challenge&quot;:&quot;[\w-]+&quot;/g, 'challenge&quot;:&quot;CHALLENGE&quot;');

  test('a wrong password and an unknown email get the same page', async () => {
    const a = await openLogin();
    const wrongPassword = html(await a.browser.post(a.action, { _csrf: a.csrf, email: 'ada@example.com', password: 'not the password' }));
    const b = await openLogin();
    const unknownEmail = html(await b.browser.post(b.action, { _csrf: b.csrf, email: 'nobody@example.com', password: TEST_PASSWORD }));

    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.location).toBeUndefined();
    expect(unknownEmail.location).toBeUndefined();
    expect(wrongPassword.text).toContain('<p class="alert" role="alert">The email address or password is incorrect.</p>');
    expect(a.uid).not.toBe(b.uid);
    expect(a.csrf).not.toBe(b.csrf);
    expect(normalize(wrongPassword.text, a.uid, a.csrf, 'ada@example.com')).toBe(
      normalize(unknownEmail.text, b.uid, b.csrf, 'nobody@example.com'),
    );
    // The email typed is kept in the form, the password is not.
    expect(inputValue(unknownEmail.text, 'email')).toBe('nobody@example.com');
    expect(unknownEmail.text).not.toContain(TEST_PASSWORD);
  });

  describe('authorization requests', () => {
    const authUrl = async (params: Record<string, string>) => {
      const url = new URL('/auth', app.url);
      const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
      const all = {
        client_id: client.client_id,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'st4te',
        ...params,
      };
      for (const [k, v] of Object.entries(all)) if (v !== '') url.searchParams.set(k, v);
      return url.href;
    };

    test('an unregistered redirect_uri gets an error page and no redirect', async () => {
      const page = html(await new Browser(app.url).get(await authUrl({ redirect_uri: 'https://evil.example/cb' })));
      expect(page.status).toBe(400);
      expect(page.location).toBeUndefined();
      expect(page.text).toContain('<h1>This app&#x27;s return address is not registered</h1>');
      expect(page.text).toContain('The app&#x27;s developer must register this address.');
      expect(page.text).toContain("redirect_uri did not match any of the client&#x27;s registered redirect_uris");
      expect(page.text).toContain('<code>invalid_redirect_uri</code>');
      expect(page.text).not.toContain('evil.example');
    });

    test('an unknown client_id gets an error page and no redirect', async () => {
      const page = html(await new Browser(app.url).get(await authUrl({ client_id: 'no-such-client' })));
      expect(page.status).toBe(400);
      expect(page.location).toBeUndefined();
      expect(page.text).toContain('<h1>This app is not registered with Latchkey</h1>');
      expect(page.text).toContain('<code>invalid_client</code>');
      expect(page.text).toContain('client is invalid');
    });

    test('a request without code_challenge is refused back to the RP with invalid_request', async () => {
      const page = await new Browser(app.url).get(await authUrl({ code_challenge: '', code_challenge_method: '' }));
      expect(page.status).toBe(303);
      const location = new URL(page.location!);
      expect(location.origin + location.pathname).toBe(REDIRECT_URI);
      expect(Object.fromEntries(location.searchParams)).toEqual({
        error: 'invalid_request',
        error_description: 'Authorization Server policy requires PKCE to be used for this request',
        state: 'st4te',
        iss: app.url,
      });
    });

    test('code_challenge_method=plain is refused back to the RP with invalid_request', async () => {
      const page = await new Browser(app.url).get(await authUrl({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }));
      expect(page.status).toBe(303);
      const location = new URL(page.location!);
      expect(location.origin + location.pathname).toBe(REDIRECT_URI);
      expect(Object.fromEntries(location.searchParams)).toEqual({
        error: 'invalid_request',
        error_description: 'not supported value of code_challenge_method',
        state: 'st4te',
        iss: app.url,
      });
    });
  });

  test('an authorization code is good for one exchange only', async () => {
    const attempt = await authorizationRequest(config, 'openid');
    const callback = await signInThroughBrowser(new Browser(app.url), attempt.url, 'ada@example.com');
    const checks = { pkceCodeVerifier: attempt.verifier, expectedNonce: attempt.nonce, expectedState: attempt.state };
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    expect(tokens.access_token).toEqual(expect.any(String));
    await expect(oidc.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: 'grant request is invalid',
      status: 400,
    });
  });

  describe('the login form', () => {
    const CSRF_TEXT = 'This form has expired or was not sent from this site. Go back, reload the page and try again.';

    test('a POST without _csrf is refused with 403', async () => {
      const { browser, action } = await openLogin();
      const page = html(await browser.post(action, { email: 'ada@example.com', password: TEST_PASSWORD }));
      expect(page.status).toBe(403);
      expect(page.location).toBeUndefined();
      expect(page.text).toContain('<h1>This form has expired</h1>');
      expect(page.text).toContain(CSRF_TEXT);
      expect(page.text).toContain('<code>csrf_failed</code>');
    });

    test('a POST with a wrong _csrf is refused with 403', async () => {
      const { browser, action, csrf } = await openLogin();
      const forged = (csrf[0] === 'A' ? 'B' : 'A') + csrf.slice(1);
      const page = html(await browser.post(action, { _csrf: forged, email: 'ada@example.com', password: TEST_PASSWORD }));
      expect(page.status).toBe(403);
      expect(page.text).toContain(CSRF_TEXT);
      // Another browser's (valid) token is just as wrong here.
      const other = await openLogin();
      const crossed = html(await browser.post(action, { _csrf: other.csrf, email: 'ada@example.com', password: TEST_PASSWORD }));
      expect(crossed.status).toBe(403);
      expect(crossed.text).toContain(CSRF_TEXT);
      // With its own token the same POST passes: the refusals above were the token alone.
      const ok = await browser.post(action, { _csrf: csrf, email: 'ada@example.com', password: TEST_PASSWORD });
      expect(ok.status).toBe(303);
    });

    test('invalid percent-encoding is taken literally, not a 500', async () => {
      const { browser, action, csrf } = await openLogin();
      const page = html(await browser.postRaw(action, `_csrf=${csrf}&email=%E0%A4%A&password=x%ZZ`));
      expect(page.status).toBe(401);
      expect(page.text).toContain('The email address or password is incorrect.');
      expect(inputValue(page.text, 'email')).toBe('%E0%A4%A');
    });

    test('an array or nested field is a 400 page', async () => {
      const { browser, action, csrf } = await openLogin();
      const array = html(await browser.postRaw(action, `_csrf=${csrf}&email[]=x&password=y`));
      expect(array.status).toBe(400);
      expect(array.text).toContain('The request could not be understood.');
      const nested = html(await browser.postRaw(action, `_csrf=${csrf}&${'email' + '[a]'.repeat(30)}=x&password=y`));
      expect(nested.status).toBe(400);
      expect(nested.text).toContain('The request could not be understood.');
      const csrfArray = html(await browser.postRaw(action, `_csrf[]=${csrf}&email=x&password=y`));
      expect(csrfArray.status).toBe(403);
      expect(csrfArray.text).toContain(CSRF_TEXT);
    });

    test('a body over 16 kB is a 413 page', async () => {
      const { browser, action, csrf } = await openLogin();
      const page = html(await browser.postRaw(action, `_csrf=${csrf}&email=ada%40example.com&password=${'a'.repeat(17 * 1024)}`));
      expect(page.status).toBe(413);
      expect(page.text).toContain('The request was too large.');
    });

    test('a body of another content type is not read as the form', async () => {
      const { browser, action, csrf } = await openLogin();
      const page = html(
        await browser.postRaw(action, JSON.stringify({ _csrf: csrf, email: 'ada@example.com', password: TEST_PASSWORD }), 'application/json'),
      );
      expect(page.status).toBe(403);
      expect(page.text).toContain(CSRF_TEXT);
    });
  });

  test('an unknown interaction is a 400 page', async () => {
    const page = html(await new Browser(app.url).get('/interaction/doesnotexist'));
    expect(page.status).toBe(400);
    expect(page.text).toContain('<h1>This sign-in has expired</h1>');
    expect(page.text).toContain('This sign-in request has expired or was already completed. Go back to the app and start again.');
  });

  test('an unknown path is a 404 page', async () => {
    const page = html(await new Browser(app.url).get('/nope'));
    expect(page.status).toBe(404);
    expect(page.text).toContain('<h1>Page not found</h1>');
  });

  test('the home page and the device page carry the same headers', async () => {
    const browser = new Browser(app.url);
    expect(html(await browser.get('/')).status).toBe(200);
    expect(html(await browser.get('/device')).status).toBe(200);
  });
});
