import { createHash } from 'node:crypto';
import type { Configuration } from 'openid-client';
import type { Stores } from '../../src/store/ports.js';
import { DEVICE_COOKIE, DEVICE_COOKIE_PATH } from '../../src/http/device-cookie.js';
import { CountingHasher, createUser, startTestApp, TEST_PASSWORD, TestClock, type TestApp, type TestAppOptions } from '../support/app.js';
import { Browser, type Page } from '../support/browser.js';
import { LoadBalancer } from '../support/load-balancer.js';
import { captureLog } from '../support/log-capture.js';
import { redisBackedStores, redisUrlForTests, sharedSqlite } from '../support/redis.js';
import { authorizationRequest, discover, openLoginForm, registerWebClient, signInThroughBrowser, type LoginForm } from '../support/rp.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const accountKey = (email: string) => `signin:email:${sha256(email.trim().toLowerCase())}`;
const ipKey = (ip: string) => `signin:ip:${sha256(ip)}`;
const deviceKey = (browser: Browser) => {
  const id = browser.cookie(DEVICE_COOKIE, DEVICE_COOKIE_PATH)?.split('~')[0]?.split('.')[2];
  if (!id) throw new Error('This browser holds no device token');
  return `signin:device:${id}`;
};
const LOOPBACK = '127.0.0.1';
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const INVALID = 'The email address or password is incorrect.';
const waitMessage = (minutes: number) => `Too many sign-in attempts. Wait ${minutes} minute(s) and try again.`;

/** Statuses of many answers, sorted, for exact comparison. */
const statuses = (pages: Page[]) => pages.map((p) => p.status).sort((a, b) => a - b);
const times = <T>(n: number, value: T) => Array<T>(n).fill(value);

interface OpenedStores {
  stores?: Stores;
  close(): Promise<void>;
}

const redisUrl = await redisUrlForTests('lockout');
const backends: { name: string; open(): OpenedStores }[] = [
  { name: 'SQLite', open: () => ({ close: async () => undefined }) },
  ...(redisUrl
    ? [
        {
          name: 'Redis',
          open(): OpenedStores {
            const longLived = sharedSqlite();
            const redis = redisBackedStores(redisUrl, longLived);
            return {
              stores: redis.stores,
              async close() {
                await redis.close();
                await longLived.close();
              },
            };
          },
        },
      ]
    : []),
];

describe.each(backends)('sign-in brute-force protection, counters on $name', (backend) => {
  let clock: TestClock;
  let hasher: CountingHasher;
  let app: TestApp;
  let rp: Configuration;
  const cleanups: (() => Promise<void>)[] = [];

  /** The app with counters on this backend; behind `proxy`, when given, which is then its issuer. */
  async function start(env: Record<string, string> = {}, proxy?: LoadBalancer): Promise<TestApp> {
    const opened = backend.open();
    const options: TestAppOptions = { clock, hasher: hasher.wrap, env, stores: opened.stores, keepStores: opened.stores !== undefined };
    const started = await startTestApp(options);
    cleanups.push(async () => {
      await started.close();
      await opened.close();
    });
    if (proxy) {
      proxy.backends.app = started.url;
      proxy.target = 'app';
    }
    rp = await discover(proxy ? { ...started, url: proxy.url } : started, await registerWebClient(started));
    return started;
  }

  /** A new sign-in form in `browser` (prompt=login, so a browser that is signed in is asked again). */
  const loginForm = async (browser: Browser): Promise<LoginForm> =>
    openLoginForm(browser, (await authorizationRequest(rp, 'openid', { prompt: 'login' })).url);

  /** A person signs in with the right password in `browser`, which thereby gets a device token. */
  async function signIn(browser: Browser, email: string): Promise<void> {
    const callback = await signInThroughBrowser(browser, (await authorizationRequest(rp, 'openid', { prompt: 'login' })).url, email);
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
    expect(browser.cookie(DEVICE_COOKIE, DEVICE_COOKIE_PATH)).toEqual(expect.any(String));
  }

  const peek = (key: string) => app.container.stores.counters.peek(key, clock.now());

  beforeEach(() => {
    clock = new TestClock();
    hasher = new CountingHasher();
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  test('50 parallel wrong passwords for one account: 5 are checked, the rest wait 30 s from the 5th; other accounts sign in', async () => {
    app = await start();
    await createUser(app, 'grace@example.com');
    await createUser(app, 'alan@example.com');
    const form = await loginForm(new Browser(app.url));

    const pages = await Promise.all(Array.from({ length: 50 }, (_, i) => form.attempt('grace@example.com', `wrong password ${i}`)));
    expect(statuses(pages)).toEqual([...times(5, 401), ...times(45, 429)]);
    expect(hasher.verifications).toBe(5);
    for (const page of pages) expect(page.location).toBeUndefined();
    expect(pages.filter((p) => p.status === 401).every((p) => p.text.includes(INVALID))).toBe(true);
    // Refused attempts were not counted, so every one of them was told the same 30 s wait.
    expect(pages.filter((p) => p.status === 429).every((p) => p.text.includes(waitMessage(1)))).toBe(true);
    expect(await peek(accountKey('grace@example.com'))).toBe(5);

    // The right password is refused without being checked, also with the email cased differently.
    const right = await form.attempt('grace@example.com', TEST_PASSWORD);
    expect(right.status).toBe(429);
    expect(right.text).toContain(`<p class="alert" role="alert">${waitMessage(1)}</p>`);
    expect((await form.attempt('  Grace@EXAMPLE.com ', TEST_PASSWORD)).status).toBe(429);
    expect(hasher.verifications).toBe(5);

    // Another account is not affected; its success gives back its IP reservation.
    expect((await form.attempt('alan@example.com', TEST_PASSWORD)).status).toBe(303);
    expect(await peek(ipKey(LOOPBACK))).toBe(5);

    // Once the wait has passed the right password gets in and the failures are forgotten.
    clock.advance(30 * SECOND);
    // A new sign-in: the one above was finished by alan's success.
    const ok = await (await loginForm(new Browser(app.url))).attempt('grace@example.com', TEST_PASSWORD);
    expect(ok.status).toBe(303);
    expect(ok.location).toMatch(new RegExp(`^${app.url}/auth/[\\w-]+$`));
    expect(await peek(accountKey('grace@example.com'))).toBe(0);
  });

  test('200 parallel wrong passwords from one IP to different emails: 100 are checked, the rest refused; a known browser still signs in', async () => {
    app = await start();
    await createUser(app, 'ada@example.com');
    const owner = new Browser(app.url);
    await signIn(owner, 'ada@example.com');
    const checkedBefore = hasher.verifications;

    const form = await loginForm(new Browser(app.url));
    const pages = await Promise.all(Array.from({ length: 200 }, (_, i) => form.attempt(`nobody${i}@example.com`, 'wrong password')));
    expect(statuses(pages)).toEqual([...times(100, 401), ...times(100, 429)]);
    expect(hasher.verifications - checkedBefore).toBe(100);
    expect(pages.filter((p) => p.status === 429).every((p) => p.text.includes(waitMessage(15)))).toBe(true);
    expect(await peek(ipKey(LOOPBACK))).toBe(100);

    // From this IP, a browser without a device token is refused even with the right password…
    const stranger = await form.attempt('ada@example.com', TEST_PASSWORD);
    expect(stranger.status).toBe(429);
    expect(hasher.verifications - checkedBefore).toBe(100);

    // …but the owner's browser, from the same IP, is not limited by it: a typo is checked,
    // and the right password gets in.
    const ownerForm = await loginForm(owner);
    expect((await ownerForm.attempt('ada@example.com', 'a typo')).status).toBe(401);
    expect((await ownerForm.attempt('ada@example.com', TEST_PASSWORD)).status).toBe(303);
    expect(await peek(ipKey(LOOPBACK))).toBe(100);
  });

  test('behind a trusted proxy (TRUST_PROXY=1), a client-chosen X-Forwarded-For does not escape the per-IP limit', async () => {
    const proxy = new LoadBalancer({ forwardedFor: true });
    const issuer = await proxy.listen();
    cleanups.push(() => proxy.close());
    app = await start({ ISSUER: issuer, TRUST_PROXY: '1' }, proxy);

    const form = await loginForm(new Browser(issuer));
    const pages = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        form.attempt(`nobody${i}@example.com`, 'wrong password', { 'X-Forwarded-For': `198.51.${i >> 8}.${i & 255}, 10.0.0.${i % 7}` }),
      ),
    );
    expect(statuses(pages)).toEqual([...times(100, 401), ...times(100, 429)]);
    expect(hasher.verifications).toBe(100);
    // Counted against the address the proxy saw (it appended the loopback address), none of the spoofed ones.
    expect(await peek(ipKey(LOOPBACK))).toBe(100);
    expect(await peek(ipKey('198.51.0.1'))).toBe(0);
    expect(await peek(ipKey('10.0.0.1'))).toBe(0);
  });

  test("an attacker's failures do not stop the owner's known browser, and refused attempts do not lengthen the wait", async () => {
    app = await start();
    await createUser(app, 'ada@example.com');
    const owner = new Browser(app.url);
    await signIn(owner, 'ada@example.com');
    const checkedBefore = hasher.verifications;

    const attacker = await loginForm(new Browser(app.url));
    const flood = await Promise.all(Array.from({ length: 100 }, (_, i) => attacker.attempt('ada@example.com', `guess ${i}`)));
    expect(statuses(flood)).toEqual([...times(5, 401), ...times(95, 429)]);
    expect(hasher.verifications - checkedBefore).toBe(5);
    // The 95 refused by the account's wait had reserved the IP first, and gave it back.
    expect(await peek(ipKey(LOOPBACK))).toBe(5);
    expect((await attacker.attempt('ada@example.com', TEST_PASSWORD)).status).toBe(429);

    // The owner's browser signs in at once; the attacker's lockout stays where it was.
    const ownerForm = await loginForm(owner);
    expect((await ownerForm.attempt('ada@example.com', TEST_PASSWORD)).status).toBe(303);
    expect(await peek(accountKey('ada@example.com'))).toBe(5);

    // The attacker keeps trying during the wait: refused every time, and the wait does not move.
    clock.advance(20 * SECOND);
    const during = await Promise.all(Array.from({ length: 50 }, () => attacker.attempt('ada@example.com', 'guess during the wait')));
    expect(statuses(during)).toEqual(times(50, 429));
    expect(during.every((p) => p.text.includes(waitMessage(1)))).toBe(true);
    clock.advance(11 * SECOND);
    expect((await attacker.attempt('ada@example.com', 'guess after the wait')).status).toBe(401);
    expect(hasher.verifications - checkedBefore).toBe(7);

    // The 6th failure makes the next attempt wait 60 s; never for ever.
    const afterSixth = await attacker.attempt('ada@example.com', TEST_PASSWORD);
    expect(afterSixth.status).toBe(429);
    expect(afterSixth.text).toContain(waitMessage(1));
    clock.advance(60 * SECOND);
    expect((await attacker.attempt('ada@example.com', TEST_PASSWORD)).status).toBe(303);
  });

  test("a known browser that itself fails 5 times waits; the account's other browsers do not", async () => {
    app = await start();
    await createUser(app, 'ada@example.com');
    const laptop = new Browser(app.url);
    const phone = new Browser(app.url);
    await signIn(laptop, 'ada@example.com');
    await signIn(phone, 'ada@example.com');
    const checkedBefore = hasher.verifications;

    const laptopForm = await loginForm(laptop);
    const pages = await Promise.all(Array.from({ length: 60 }, (_, i) => laptopForm.attempt('ada@example.com', `typo ${i}`)));
    expect(statuses(pages)).toEqual([...times(5, 401), ...times(55, 429)]);
    expect(hasher.verifications - checkedBefore).toBe(5);
    expect(await peek(deviceKey(laptop))).toBe(5);
    const refused = await laptopForm.attempt('ada@example.com', TEST_PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain(waitMessage(1));

    // Counted against the laptop's token alone: not the account, not the IP.
    expect(await peek(accountKey('ada@example.com'))).toBe(0);
    expect(await peek(ipKey(LOOPBACK))).toBe(0);
    expect((await (await loginForm(phone)).attempt('ada@example.com', TEST_PASSWORD)).status).toBe(303);
    expect((await (await loginForm(new Browser(app.url))).attempt('ada@example.com', TEST_PASSWORD)).status).toBe(303);

    clock.advance(30 * SECOND);
    const laptopKey = deviceKey(laptop);
    expect((await laptopForm.attempt('ada@example.com', TEST_PASSWORD)).status).toBe(303);
    expect(await peek(laptopKey)).toBe(0);
  });

  test("a tampered device token, or another account's, counts as none", async () => {
    app = await start();
    await createUser(app, 'ada@example.com');
    await createUser(app, 'grace@example.com');
    const ada = new Browser(app.url);
    const grace = new Browser(app.url);
    await signIn(ada, 'ada@example.com');
    await signIn(grace, 'grace@example.com');

    // Grace's browser guesses at Ada's account: her token is no token for Ada's account.
    const graceForm = await loginForm(grace);
    const pages = await Promise.all(Array.from({ length: 50 }, (_, i) => graceForm.attempt('ada@example.com', `guess ${i}`)));
    expect(statuses(pages)).toEqual([...times(5, 401), ...times(45, 429)]);
    expect(await peek(accountKey('ada@example.com'))).toBe(5);
    expect(await peek(deviceKey(grace))).toBe(0);
    expect((await graceForm.attempt('ada@example.com', TEST_PASSWORD)).status).toBe(429);

    // A copy of Ada's token with its signature altered is refused like no token at all.
    const token = ada.cookie(DEVICE_COOKIE, DEVICE_COOKIE_PATH)!;
    const forged = new Browser(app.url);
    forged.setCookie(DEVICE_COOKIE, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), DEVICE_COOKIE_PATH);
    expect((await (await loginForm(forged)).attempt('ada@example.com', TEST_PASSWORD)).status).toBe(429);
    // Grace's genuine token relabelled with Ada's account tag is refused too: the signature covers the tag.
    const [adaTag] = token.split('.');
    const [, issued, deviceId, mac] = grace.cookie(DEVICE_COOKIE, DEVICE_COOKIE_PATH)!.split('~')[0]!.split('.');
    const swapped = new Browser(app.url);
    swapped.setCookie(DEVICE_COOKIE, [adaTag, issued, deviceId, mac].join('.'), DEVICE_COOKIE_PATH);
    expect((await (await loginForm(swapped)).attempt('ada@example.com', TEST_PASSWORD)).status).toBe(429);

    // Ada's own browser, with the genuine token, gets in.
    expect((await (await loginForm(ada)).attempt('ada@example.com', TEST_PASSWORD)).status).toBe(303);
  });
});

describe('device token cookie and sign-in log', () => {
  test('the cookie is HttpOnly, SameSite=Lax, long-lived, for the sign-in pages only; the log says who, where and why, never secrets', async () => {
    const log = captureLog();
    const app = await startTestApp({ logger: log.logger });
    try {
      const account = await createUser(app, 'ada@example.com');
      const rp = await discover(app, await registerWebClient(app));
      const browser = new Browser(app.url);
      const form = await openLoginForm(browser, (await authorizationRequest(rp, 'openid')).url);
      for (let i = 0; i < 5; i++) expect((await form.attempt('Ada@example.com', `secret guess ${i}`)).status).toBe(401);
      expect((await form.attempt('ada@example.com', TEST_PASSWORD)).status).toBe(429);
      expect((await form.attempt('nobody@example.com', 'secret guess x')).status).toBe(401);

      const other = new Browser(app.url);
      const answer = await (await openLoginForm(other, (await authorizationRequest(rp, 'openid')).url)).attempt('grace@example.com', 'x');
      expect(answer.status).toBe(401);
      const signedIn = await (await openLoginForm(other, (await authorizationRequest(rp, 'openid')).url)).attempt('ada@example.com', 'x');
      expect(signedIn.status).toBe(429);

      // A fresh account signs in: the device cookie is set with the attributes the design asks for.
      await createUser(app, 'alan@example.com');
      const ok = await (await openLoginForm(other, (await authorizationRequest(rp, 'openid')).url)).attempt('alan@example.com', TEST_PASSWORD);
      expect(ok.status).toBe(303);
      const cookie = ([] as string[]).concat(ok.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
      expect(cookie).toBeDefined();
      expect(cookie).toMatch(/; path=\/interaction(;|$)/);
      expect(cookie).toMatch(/; httponly(;|$)/);
      expect(cookie).toMatch(/; samesite=lax(;|$)/);
      const expires = Date.parse(cookie!.match(/; expires=([^;]+)/)![1]!);
      expect(expires - Date.now()).toBeGreaterThan(179 * 24 * 60 * MINUTE);
      // Not Secure on an http issuer (the browser would drop it); test/unit/device-cookie.test.ts has the https case.
      expect(cookie).not.toMatch(/; secure/);

      const events = log.lines.filter((line) => typeof line.event === 'string');
      const adaHash = sha256('ada@example.com');
      expect(events.filter((e) => e.event === 'signin.failed' && e.emailHash === adaHash)).toEqual(
        times(5, expect.objectContaining({ accountId: account.id, ip: LOOPBACK, reason: 'wrong_password', device: false })),
      );
      expect(events).toContainEqual(
        expect.objectContaining({ event: 'signin.locked', emailHash: adaHash, accountId: account.id, scope: 'account', failures: 5, waitMs: 30 * SECOND }),
      );
      expect(events).toContainEqual(expect.objectContaining({ event: 'signin.throttled', emailHash: adaHash, ip: LOOPBACK, reason: 'account_limit' }));
      expect(events).toContainEqual(expect.objectContaining({ event: 'signin.failed', emailHash: sha256('nobody@example.com'), reason: 'unknown_email' }));
      expect(events).toContainEqual(expect.objectContaining({ event: 'signin.succeeded', accountId: expect.any(String), ip: LOOPBACK, device: false }));

      const everything = log.raw();
      for (const secret of ['secret guess', TEST_PASSWORD, 'ada@example.com', cookie!.split(';')[0]!.split('=')[1]!]) {
        expect(everything).not.toContain(secret);
      }
    } finally {
      await app.close();
    }
  });
});
