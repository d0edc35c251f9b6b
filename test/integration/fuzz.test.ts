import { Agent } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import * as oidc from 'openid-client';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { send, type RawRequest } from '../support/http.js';
import { authorizationRequest, discover, exchangeCode, registerWebClient, signInThroughBrowser } from '../support/rp.js';
import { watchServerErrors, type ServerErrorWatch } from '../support/server-errors.js';

/**
 * Property: no request, however malformed, gets a response of 500 or more, and none makes
 * the app log an internal failure. Requests mix real values (client ids, a live
 * interaction with its cookies and CSRF token, a signed-in session, tokens, a device code)
 * with junk, so that they get past the first checks of every route.
 *
 * Reproduce a failure with the seed printed: FUZZ_SEED=<seed> npm test -- fuzz (FUZZ_RUNS=<n>
 * for a longer hunt).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x1a7c4);
const RUNS = Number(process.env.FUZZ_RUNS ?? 5_200);
/** The interaction and session are used up by some requests (abort, sign-out): start new ones this often. */
const REFRESH_EVERY = 400;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface Fixtures {
  clientIds: string[];
  basicAuth: string[];
  tokens: string[];
  uid: string;
  csrf: string;
  userCode: string;
  xsrf: string;
  /** Cookie headers: an interaction in progress, a signed-in session, a device page session. */
  cookies: string[];
}

/** The cookies a Browser holds, as one Cookie header. */
function cookieHeader(browser: Browser, names: string[]): string {
  return names
    .map((name) => [name, browser.cookie(name)] as const)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

const INTERACTION_COOKIES = ['_interaction', '_interaction.sig', '_interaction_resume', '_interaction_resume.sig', 'lk.csrf'];
const SESSION_COOKIES = ['_session', '_session.sig', '_session.legacy', '_session.legacy.sig'];

async function makeFixtures(app: TestApp): Promise<Fixtures> {
  const web = await registerWebClient(app);
  const device = await app.container.clients.create({ name: 'Fuzz TV', redirectUris: [], grantTypes: [DEVICE_GRANT], public: true });
  const service = await app.container.clients.create({ name: 'Fuzz service', redirectUris: [], grantTypes: ['client_credentials'] });
  const config = await discover(app, web);

  // A person signed in: a live session, and tokens to present.
  const signedIn = new Browser(app.url);
  const attempt = await authorizationRequest(config);
  const callback = await signInThroughBrowser(signedIn, attempt.url, 'ada@example.com');
  const tokens = await exchangeCode(config, attempt, callback);

  // A sign-in in progress: the login page with its interaction cookies and CSRF token.
  const pending = new Browser(app.url);
  const login = await pending.follow((await authorizationRequest(config, 'openid')).url.href);
  const uid = formAction(login.text, '/login').split('/')[2]!;

  // A device waiting, and a browser on the code input page.
  const deviceConfig = await discover(app, device);
  const deviceAuth = await oidc.initiateDeviceAuthorization(deviceConfig, { scope: 'openid' });
  const deviceBrowser = new Browser(app.url);
  const input = await deviceBrowser.get('/device');

  const basic = (id: string, secret = '') => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  return {
    clientIds: [web.client_id, device.client_id, service.client_id],
    basicAuth: [basic(web.client_id, web.client_secret as string), basic(service.client_id, service.client_secret as string), basic(web.client_id, 'wrong')],
    tokens: [tokens.access_token, tokens.refresh_token!, tokens.id_token!, deviceAuth.device_code, callback.searchParams.get('code')!],
    uid,
    csrf: inputValue(login.text, '_csrf')!,
    userCode: deviceAuth.user_code,
    xsrf: inputValue(input.text, 'xsrf')!,
    cookies: [
      cookieHeader(pending, INTERACTION_COOKIES),
      cookieHeader(signedIn, SESSION_COOKIES),
      cookieHeader(deviceBrowser, SESSION_COOKIES),
      `${cookieHeader(pending, INTERACTION_COOKIES)}; ${cookieHeader(signedIn, SESSION_COOKIES)}`,
    ],
  };
}

/** Every route of the app and of the provider (`:uid` to be filled in), with the methods it serves. */
const ROUTES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['/', ['GET']], ['/healthz', ['GET']], ['/readyz', ['GET']], ['/assets/latchkey.css', ['GET']], ['/favicon.ico', ['GET']],
  ['/favicon.svg', ['GET']], ['/interaction/:uid', ['GET']], ['/interaction/:uid/login', ['POST']],
  ['/interaction/:uid/confirm', ['POST']], ['/interaction/:uid/abort', ['POST']], ['/auth', ['GET']], ['/auth/:uid', ['GET']],
  ['/me', ['GET', 'POST']], ['/token', ['POST']], ['/token/introspection', ['POST']], ['/token/revocation', ['POST']],
  ['/request', ['POST']], ['/reg', ['POST', 'GET']], ['/jwks', ['GET']], ['/device/auth', ['POST']], ['/device', ['GET', 'POST']],
  ['/device/:uid', ['GET']], ['/session/end', ['GET']], ['/session/end/confirm', ['POST']], ['/session/end/success', ['GET']],
  ['/.well-known/openid-configuration', ['GET']], ['/.well-known/oauth-authorization-server', ['GET']],
];

const PARAMS = [
  'client_id', 'client_secret', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'prompt',
  'code_challenge', 'code_challenge_method', 'code_verifier', 'code', 'grant_type', 'refresh_token', 'token',
  'token_type_hint', 'request', 'request_uri', 'claims', 'resource', 'authorization_details', 'max_age', 'acr_values',
  'login_hint', 'id_token_hint', 'ui_locales', 'post_logout_redirect_uri', 'logout', 'xsrf', 'user_code', 'confirm',
  'abort', 'device_code', 'client_assertion', 'client_assertion_type', 'dpop_jkt', '_csrf', 'email', 'password',
  'email[]', 'password[a][b]', '_csrf[]', '__proto__', 'constructor',
];

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PURGE', 'PROPFIND', 'MKCOL', 'LOCK', 'SEARCH'];

type Pairs = [string, string][];
type Encoding = 'query' | 'form' | 'json';

/** A well-formed request of one kind a real client makes, for mutation. */
interface Template {
  method: string;
  path: string;
  params: Pairs;
  encoding: Encoding;
  headers: Record<string, string>;
}

const FORM = 'application/x-www-form-urlencoded';

function templates(f: Fixtures): Template[] {
  const [web, device] = f.clientIds;
  const [webAuth, serviceAuth] = f.basicAuth;
  const [accessToken, refreshToken, idToken, deviceCode] = f.tokens;
  const [interactionCookie, sessionCookie, deviceCookie] = f.cookies;
  const authorize: Pairs = [
    ['client_id', web!], ['redirect_uri', 'https://rp.example/callback'], ['response_type', 'code'], ['scope', 'openid email'],
    ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'], ['code_challenge_method', 'S256'], ['state', 's'], ['nonce', 'n'],
  ];
  const html = { accept: 'text/html' };
  return [
    { method: 'GET', path: '/auth', params: authorize, encoding: 'query', headers: html },
    { method: 'GET', path: '/auth', params: [...authorize, ['prompt', 'none']], encoding: 'query', headers: { ...html, cookie: sessionCookie! } },
    { method: 'GET', path: `/interaction/${f.uid}`, params: [], encoding: 'query', headers: { ...html, cookie: interactionCookie! } },
    { method: 'POST', path: `/interaction/${f.uid}/login`, params: [['_csrf', f.csrf], ['email', 'ada@example.com'], ['password', 'not the password']], encoding: 'form', headers: { ...html, cookie: interactionCookie! } },
    { method: 'POST', path: `/interaction/${f.uid}/confirm`, params: [['_csrf', f.csrf]], encoding: 'form', headers: { ...html, cookie: interactionCookie! } },
    { method: 'POST', path: `/interaction/${f.uid}/abort`, params: [['_csrf', f.csrf]], encoding: 'form', headers: { ...html, cookie: interactionCookie! } },
    { method: 'GET', path: `/auth/${f.uid}`, params: [], encoding: 'query', headers: { ...html, cookie: interactionCookie! } },
    { method: 'POST', path: '/token', params: [['grant_type', 'client_credentials']], encoding: 'form', headers: { authorization: serviceAuth! } },
    { method: 'POST', path: '/token', params: [['grant_type', 'refresh_token'], ['refresh_token', refreshToken!]], encoding: 'form', headers: { authorization: webAuth! } },
    { method: 'POST', path: '/token', params: [['grant_type', DEVICE_GRANT], ['device_code', deviceCode!], ['client_id', device!]], encoding: 'form', headers: {} },
    { method: 'POST', path: '/token/introspection', params: [['token', accessToken!]], encoding: 'form', headers: { authorization: webAuth! } },
    { method: 'POST', path: '/token/revocation', params: [['token', idToken!]], encoding: 'form', headers: { authorization: webAuth! } },
    { method: 'GET', path: '/me', params: [], encoding: 'query', headers: { authorization: `Bearer ${accessToken!}` } },
    { method: 'POST', path: '/device/auth', params: [['client_id', device!], ['scope', 'openid']], encoding: 'form', headers: {} },
    { method: 'POST', path: '/device', params: [['xsrf', f.xsrf], ['user_code', f.userCode]], encoding: 'form', headers: { ...html, cookie: deviceCookie! } },
    { method: 'GET', path: '/session/end', params: [['id_token_hint', idToken!]], encoding: 'query', headers: { ...html, cookie: sessionCookie! } },
    { method: 'POST', path: '/request', params: authorize, encoding: 'form', headers: { authorization: webAuth! } },
  ];
}

const ascii = (maxLength: number) => fc.string({ unit: 'grapheme-ascii', maxLength });

function requests(fx: () => Fixtures): fc.Arbitrary<RawRequest> {
  const real = fc.oneof(
    fc.nat(4).map((i) => [DEVICE_GRANT, fx().uid, fx().csrf, fx().userCode, fx().xsrf][i]!),
    fc.nat(2).map((i) => fx().clientIds[i]!),
    fc.nat(4).map((i) => fx().tokens[i]!),
    fc.constantFrom('openid', 'openid profile email offline_access', 'code', 'S256', 'plain', 'consent', 'login', 'none',
      'https://rp.example/callback', 'https://rp.example/signed-out', 'https://evil.example/', 'ada@example.com', TEST_PASSWORD,
      'yes', 'authorization_code', 'refresh_token', 'client_credentials', 'access_token', 'query', 'form_post', 'web_message'),
  );
  const junk = fc.oneof(
    ascii(40),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('', '%', '%zz', '%E0%A4%A', '\u0000', '../../etc/passwd', '<script>alert(1)</script>', '{"a":', '[]', 'null',
      '-1', '1e309', '9'.repeat(40), 'a'.repeat(5000), '\u{1F511}', 'eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.'),
  );
  const value = fc.oneof({ weight: 2, arbitrary: real }, { weight: 3, arbitrary: junk });
  const name = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PARAMS) }, { weight: 1, arbitrary: ascii(12) });
  const params = fc.array(fc.tuple(name, value), { maxLength: 10 });
  const anyMethod = fc.constantFrom(...METHODS);

  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.constant(':real') },
    { weight: 2, arbitrary: ascii(30).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('', '%', '%zz', '%2F', '..', '.', 'auth', 'x'.repeat(3000)) },
  );
  const realSegment = (s: string) => (s === ':real' ? fx().uid : s);
  const fill = (route: string, segments: string[]) => {
    let i = 0;
    return route.replace(/:uid/g, () => realSegment(segments[i++] ?? ':real'));
  };
  const routed = fc
    .tuple(fc.nat(ROUTES.length - 1), fc.array(segment, { maxLength: 2 }), fc.nat(15), anyMethod)
    .map(([i, segments, pick, other]) => {
      const [route, methods] = ROUTES[i]!;
      // Mostly a method the route serves, so that requests get past the router.
      return { path: fill(route, segments), method: pick < 12 ? methods[pick % methods.length]! : other };
    });
  const strayPath = fc.oneof(
    fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
    fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.map(realSegment).join('/')}`),
    fc.constantFrom('//', '/%', '/%00', '/AUTH/', '/auth//x', '/interaction/', '/device/', '/.well-known/', '/assets/../favicon.ico', '/session/end/', '/token/revocation/'),
  );
  const stray = fc.tuple(strayPath, anyMethod).map(([path, method]) => ({ path, method }));

  const encode = (pairs: Pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const query = fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    { weight: 4, arbitrary: params.map((pairs) => (pairs.length ? `?${encode(pairs)}` : '')) },
    { weight: 1, arbitrary: ascii(60).map((q) => `?${q.replace(/[^\x21-\x7e]/g, '')}`) },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&&&=&', '?a=%ZZ', `?q=${'x'.repeat(6000)}`, '?client_id=a&client_id=b', '?scope[]=openid') },
  );
  const body = fc.oneof(
    { weight: 3, arbitrary: fc.constant<[string | undefined, string | Buffer | undefined]>([undefined, undefined]) },
    { weight: 5, arbitrary: params.map((pairs): [string, string] => [FORM, encode(pairs)]) },
    { weight: 2, arbitrary: params.map((pairs): [string, string] => ['application/json', JSON.stringify(Object.fromEntries(pairs))]) },
    { weight: 1, arbitrary: fc.jsonValue().map((v): [string, string] => ['application/json', JSON.stringify(v) ?? 'null']) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes): [string | undefined, Buffer] => [undefined, Buffer.from(bytes)]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(FORM, 'application/json', 'text/plain', 'application/jwt', 'multipart/form-data; boundary=x'), fc.integer({ min: 60_000, max: 1_500_000 })).map(([type, size]): [string, string] => [type, `a=${'x'.repeat(size)}`]) },
    { weight: 1, arbitrary: fc.constantFrom<[string, string]>(['application/json', '{"a":'], [FORM, '%'], ['application/json', '[1,2'], ['multipart/form-data', '--x\r\n'], [`${FORM}; charset=utf-16`, 'a=b'], ['application/json; charset=latin1', '{}']) },
  );

  const headerValue = (options: string[]) => fc.oneof(fc.constantFrom(...options), ascii(30));
  const cookie = fc.oneof(
    { weight: 4, arbitrary: fc.nat(3).map((i) => fx().cookies[i]!) },
    { weight: 1, arbitrary: headerValue(['_session=x', '_session=x; _session.sig=y', '_interaction=a; _interaction.sig=b', 'lk.csrf=zz', ';;;=;', `_session=${'a'.repeat(4000)}`]) },
    { weight: 1, arbitrary: fc.nat(3).map((i) => fx().cookies[i]!.replace(/sig=[^;]+/g, 'sig=forged')) },
  );
  const headers = fc.record(
    {
      accept: headerValue(['text/html', 'application/json', '*/*', 'text/html;q=0.1, application/json', 'image/png', '']),
      'content-type': headerValue([FORM, 'application/json', 'text/plain', 'application/jwt', 'multipart/form-data']),
      authorization: fc.oneof(
        fc.nat(2).map((i) => fx().basicAuth[i]!),
        fc.nat(4).map((i) => `Bearer ${fx().tokens[i]!}`),
        fc.nat(4).map((i) => `DPoP ${fx().tokens[i]!}`),
        headerValue(['Basic', 'Basic !!!', 'Bearer', 'Basic Og==', `Basic ${Buffer.from('a:b:c').toString('base64')}`]),
      ),
      cookie,
      origin: headerValue(['https://rp.example', 'null', 'https://evil.example']),
      'access-control-request-method': headerValue(['POST', 'GET', 'DELETE']),
      'content-encoding': headerValue(['gzip', 'deflate', 'br', 'identity', 'compress']),
      dpop: ascii(40),
      'accept-language': ascii(20),
      'x-forwarded-for': headerValue(['1.2.3.4', '::1, 10.0.0.1', 'unknown']),
      'x-forwarded-proto': headerValue(['https', 'http', 'gopher']),
      'if-none-match': ascii(20),
    },
    { requiredKeys: [] },
  );

  const random = fc
    .record({ target: fc.oneof({ weight: 6, arbitrary: routed }, { weight: 1, arbitrary: stray }), query, body, headers })
    .map(({ target, query, body: [type, payload], headers }) => ({
      method: target.method,
      path: target.path + query,
      headers: type !== undefined && headers['content-type'] === undefined ? { ...headers, 'content-type': type } : headers,
      body: payload,
    }));

  /** The arbitrary's value once in `n` draws, null otherwise. */
  const sometimes = <T,>(arbitrary: fc.Arbitrary<T>, n: number) =>
    fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
  // A real client's request with a few things changed: deeper paths than random ones reach.
  const mutated = fc
    .record({
      which: fc.nat(99),
      drop: fc.array(fc.nat(9), { maxLength: 3 }),
      replace: fc.array(fc.tuple(fc.nat(9), value), { maxLength: 2 }),
      add: fc.array(fc.tuple(name, value), { maxLength: 3 }),
      encoding: sometimes(fc.constantFrom<Encoding>('query', 'form', 'json'), 5),
      method: sometimes(anyMethod, 6),
      headers: sometimes(headers, 3),
      cookie: sometimes(cookie, 4),
    })
    .map((m) => {
      const all = templates(fx());
      const t = all[m.which % all.length]!;
      let pairs = t.params.filter((_, i) => !m.drop.includes(i));
      for (const [i, v] of m.replace) if (pairs.length) pairs[i % pairs.length] = [pairs[i % pairs.length]![0], v];
      pairs = [...pairs, ...m.add];
      const encoding = m.encoding ?? t.encoding;
      const hdrs: Record<string, string> = { ...t.headers, ...(m.headers ?? {}), ...(m.cookie === null ? {} : { cookie: m.cookie }) };
      if (encoding === 'query') return { method: m.method ?? t.method, path: pairs.length ? `${t.path}?${encode(pairs)}` : t.path, headers: hdrs, body: undefined };
      const json = encoding === 'json';
      return {
        method: m.method ?? t.method,
        path: t.path,
        headers: { 'content-type': json ? 'application/json' : FORM, ...hdrs },
        body: json ? JSON.stringify(Object.fromEntries(pairs)) : encode(pairs),
      };
    });

  return fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 4, arbitrary: random }).map((req): RawRequest => {
    // Header values with characters Node's client refuses to send are dropped, not the request.
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([, v]) => !/[^\t\x20-\x7e]/.test(v)));
    return { ...req, headers };
  });
}

describe('fuzz: malformed requests over every route and method', () => {
  let app: TestApp;
  let watch: ServerErrorWatch;
  let fixtures: Fixtures;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    app = await startTestApp();
    await createUser(app);
    fixtures = await makeFixtures(app);
    watch = watchServerErrors(app);
  });
  afterAll(async () => {
    agent.destroy();
    watch.stop();
    await app.close();
  });

  test(`${RUNS} random requests: no 5xx and no logged failure (seed ${SEED})`, async () => {
    let runs = 0;
    const statuses = new Map<number, number>();
    const property = fc.asyncProperty(requests(() => fixtures), async (req) => {
      if (++runs % REFRESH_EVERY === 0) fixtures = await makeFixtures(app);
      const res = await send(app.url, { ...req, agent });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const failures = watch.errors.splice(0);
      if (res.status >= 500 || failures.length) {
        throw new Error(`${req.method} ${req.path.slice(0, 300)} → ${res.status}\n${res.body.slice(0, 500)}\n${failures.join('\n')}`);
      }
    });
    const details = await fc.check(property, { seed: SEED, numRuns: RUNS });
    if (details.failed) {
      throw new Error(`Fuzz failed; reproduce with FUZZ_SEED=${SEED}\n${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`);
    }
    // The requests reached handlers, not only the router's 404/405.
    const handled = [...statuses].filter(([status]) => status !== 404 && status !== 405).reduce((n, [, count]) => n + count, 0);
    expect(handled).toBeGreaterThan(RUNS / 2);
    expect(statuses.get(200)).toBeGreaterThan(100);
    expect(statuses.get(303) ?? statuses.get(302)).toBeGreaterThan(10);
  }, 120_000);

  /** What fetch and Node's client cannot send: broken request lines, framing and encodings. */
  test.each([
    ['an unknown method token', 'FOO /auth HTTP/1.1\r\nHost: {host}\r\n\r\n'],
    ['an absolute-form target', 'GET http://{host}/.well-known/openid-configuration HTTP/1.1\r\nHost: {host}\r\n\r\n'],
    ['the asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: {host}\r\n\r\n'],
    ['a relative target', 'GET auth HTTP/1.1\r\nHost: {host}\r\n\r\n'],
    ['HTTP/1.0 without Host', 'GET /device HTTP/1.0\r\n\r\n'],
    ['a bad version', 'GET / HTTP/9.9\r\nHost: {host}\r\n\r\n'],
    ['two Content-Lengths', 'POST /token HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabc'],
    ['a truncated chunked body', 'POST /token HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a gzip body that is not gzip', 'POST /token HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello'],
    ['a gzip login form that is not gzip', 'POST /interaction/x/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello'],
    ['a header without a colon', 'GET /auth HTTP/1.1\r\nHost: {host}\r\nBroken header\r\n\r\n'],
    ['a NUL in the path', 'GET /au\u0000th HTTP/1.1\r\nHost: {host}\r\n\r\n'],
    ['a 20 kB header', `GET / HTTP/1.1\r\nHost: {host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
  ])('%s', async (_name, raw) => {
    const { host } = new URL(app.url);
    // The request is written whole and the socket kept open: the status line is all we wait for.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(app.url).port), '127.0.0.1');
      let data = '';
      const done = () => {
        socket.destroy();
        resolve(data);
      };
      socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(raw.slice(0, 80))}`)));
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
        if (data.includes('\r\n\r\n')) done();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      socket.write(raw.replaceAll('{host}', host));
    });
    const status = Number(answer.match(/^HTTP\/1\.[01] (\d{3})/)?.[1]);
    expect([answer.split('\r\n')[0], status >= 100 && status < 500]).toEqual([answer.split('\r\n')[0], true]);
    expect(watch.errors.splice(0)).toEqual([]);
  });
});
