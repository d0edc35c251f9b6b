/**
 * One emailed 2FA reset link, used 50 times at once: exactly one use, on the embedded SQLite
 * store and on Redis (whose one-time values the link lives in).
 */
import { createUser, type TestApp } from '../support/app.js';
import { appBackends } from '../support/backends.js';
import { Browser } from '../support/browser.js';
import { latestMessage } from '../support/console.js';
import { openResetLink, submitResetPassword } from '../support/flow.js';

const backends = await appBackends('2fa reset link concurrency', { instances: 1 });
const PARALLEL = 50;

describe.each(backends)('the 2FA reset link under $name', ({ start }) => {
  let app: TestApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({
      apps: [app],
      close,
    } = await start());
  });
  afterAll(() => close());

  /** Sends the link for a new account (as "Send 2-factor authentication email" does) and returns it. */
  async function linkFor(email: string): Promise<string> {
    const account = await createUser(app, email);
    await app.container.twoFactorReset.sendLink(account, { ip: '127.0.0.1' });
    const link = (await latestMessage(app, email)).text?.match(/http:\/\/\S+\/reset-2fa\/\S+/)?.[0];
    if (!link) throw new Error('no link');
    return link;
  }

  test(`${PARALLEL} parallel redemptions of one link: exactly one succeeds`, async () => {
    const token = new URL(await linkFor('redeem-race@example.com')).pathname.split('/').pop()!;
    expect(await app.container.twoFactorReset.check(token)).not.toBeNull();
    const results = await Promise.all(Array.from({ length: PARALLEL }, () => app.container.twoFactorReset.redeem(token)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await app.container.twoFactorReset.check(token)).toBeNull();
    expect(await app.container.twoFactorReset.redeem(token)).toBe(false);
  });

  test(`${PARALLEL} browsers submit the password behind one link at once: one goes on to set up 2FA`, async () => {
    const link = await linkFor('browser-race@example.com');
    const browsers = Array.from({ length: PARALLEL }, () => new Browser(app.url));
    const pages = await Promise.all(browsers.map((b) => openResetLink(b, link)));
    for (const page of pages) expect(page.status).toBe(200);
    const answers = await Promise.all(browsers.map((b, i) => submitResetPassword(b, pages[i]!)));
    const through = answers.filter((a) => a.text.includes('<h1>Set up 2-factor authentication again</h1>') && a.text.includes('enrol-choose'));
    expect(through).toHaveLength(1);
    // The others: the link is used up (400), or the account's sign-in counter made them wait (429); never a 500.
    for (const answer of answers.filter((a) => !through.includes(a))) expect([400, 429]).toContain(answer.status);
    expect(answers.filter((a) => a.status === 400).every((a) => a.text.includes('This link has expired'))).toBe(true);
  });
});
