import { createHash } from 'node:crypto';
import { createUser, startTestApp, TEST_PASSWORD, TestClock, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { authorizationRequest, discover, registerWebClient } from '../support/rp.js';

const emailKey = (email: string) => `signin:email:${createHash('sha256').update(email.toLowerCase()).digest('base64url')}`;
const THROTTLED = 'Too many sign-in attempts. Wait 15 minute(s) and try again.';
const INVALID = 'The email address or password is incorrect.';

describe('sign-in lockout', () => {
  let app: TestApp;
  const clock = new TestClock();
  beforeAll(async () => {
    app = await startTestApp({ clock });
  });
  afterAll(() => app.close());

  test('parallel wrong passwords are all counted; the account waits 15 minutes, then signs in', async () => {
    await createUser(app, 'grace@example.com');
    const key = emailKey('grace@example.com');
    const config = await discover(app, await registerWebClient(app));
    const browser = new Browser(app.url);
    const login = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
    expect(login.text).toContain('<h1>Sign in</h1>');
    const action = formAction(login.text, '/login');
    const csrf = inputValue(login.text, '_csrf')!;
    const attempt = (email: string, password: string) => browser.post(action, { _csrf: csrf, email, password });

    const pages = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt('grace@example.com', `wrong password ${i}`)));
    expect(await app.container.stores.counters.peek(key)).toBe(50);
    // Exactly the first 5 counted attempts had their password checked; the other 45 were held back.
    const statuses = pages.map((p) => p.status).sort();
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(45).fill(429)]);
    for (const page of pages) expect(page.location).toBeUndefined();
    expect(pages.filter((p) => p.status === 401).every((p) => p.text.includes(INVALID))).toBe(true);
    // The held-back attempts were told the wait in force when each was counted: 30 s after the
    // 5th failure, doubling, then 15 minutes from the 10th on.
    const waits = pages
      .filter((p) => p.status === 429)
      .map((p) => Number(p.text.match(/Too many sign-in attempts\. Wait (\d+) minute\(s\) and try again\./)?.[1]))
      .sort((a, b) => a - b);
    expect(waits).toEqual([1, 1, 2, 4, 8, ...Array(40).fill(15)]);

    // The right password is refused without being checked, also with the email cased differently.
    const right = await attempt('grace@example.com', TEST_PASSWORD);
    expect(right.status).toBe(429);
    expect(right.text).toContain(`<p class="alert" role="alert">${THROTTLED}</p>`);
    expect(right.location).toBeUndefined();
    const cased = await attempt('  Grace@EXAMPLE.com ', TEST_PASSWORD);
    expect(cased.status).toBe(429);
    expect(cased.text).toContain(THROTTLED);
    expect(await app.container.stores.counters.peek(key)).toBe(52);

    // Just before the longest wait ends it is still refused…
    clock.advance(15 * 60_000 - 5_000);
    expect((await attempt('grace@example.com', TEST_PASSWORD)).status).toBe(429);

    // …and once the maximum wait has passed after the last attempt, the right password gets in.
    clock.advance(15 * 60_000 + 1_000);
    const ok = await attempt('grace@example.com', TEST_PASSWORD);
    expect(ok.status).toBe(303);
    expect(ok.location).toMatch(new RegExp(`^${app.url}/auth/[\\w-]+$`));
    expect(await app.container.stores.counters.peek(key)).toBe(0);
  });

  test('another account is not affected by the lockout of the first', async () => {
    await createUser(app, 'linus@example.com');
    await createUser(app, 'alan@example.com');
    const config = await discover(app, await registerWebClient(app));
    const browser = new Browser(app.url);
    const login = await browser.follow((await authorizationRequest(config, 'openid')).url.href);
    const action = formAction(login.text, '/login');
    const csrf = inputValue(login.text, '_csrf')!;
    for (let i = 0; i < 6; i++) await browser.post(action, { _csrf: csrf, email: 'linus@example.com', password: 'wrong' });
    const locked = await browser.post(action, { _csrf: csrf, email: 'linus@example.com', password: TEST_PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('Too many sign-in attempts. Wait 1 minute(s) and try again.');
    const other = await browser.post(action, { _csrf: csrf, email: 'alan@example.com', password: TEST_PASSWORD });
    expect(other.status).toBe(303);
    expect(await app.container.stores.counters.peek(emailKey('alan@example.com'))).toBe(0);
  });
});
