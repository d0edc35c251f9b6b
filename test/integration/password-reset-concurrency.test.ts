import { createUser, type TestApp } from '../support/app.js';
import { appBackends } from '../support/backends.js';
import { Browser } from '../support/browser.js';
import { lastOutboxMessage } from '../support/outbox.js';
import { requestReset, resetLinkIn } from '../support/sign-up.js';

const backends = await appBackends('password reset concurrency', { instances: 2 });

const PARALLEL = 50;

describe.each(backends)('one reset link used $name', ({ start }) => {
  let apps: [TestApp, TestApp];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ apps, close } = await start());
  });
  afterAll(() => close());

  test(`${PARALLEL} times in parallel, over two instances: exactly one password is set`, async () => {
    const account = await createUser(apps[0], 'race-reset@example.com');
    await requestReset(new Browser(apps[0].url), '/password/forgot', 'race-reset@example.com');
    const link = resetLinkIn((await lastOutboxMessage(apps[0], 'race-reset@example.com')).text);

    // Each use from its own browser (own CSRF cookie), half of them on each instance.
    const uses = await Promise.all(
      Array.from({ length: PARALLEL }, async (_, i) => {
        const app = apps[i % 2];
        const browser = new Browser(app.url);
        const page = await browser.follow(link.pathname + link.search);
        expect(page.status).toBe(200);
        const csrf = page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
        return { browser, csrf, password: `parallel password number ${i} of many` };
      }),
    );
    const token = link.searchParams.get('token')!;
    const answers = await Promise.all(uses.map((u) => u.browser.post('/password/reset', { _csrf: u.csrf, token, password: u.password })));

    const won = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
    expect(won).toHaveLength(1);
    expect(answers.filter((a) => a.status === 400).length).toBe(PARALLEL - 1);
    expect(answers.every((a) => a.status < 500)).toBe(true);
    // The winner's password is the one stored.
    const stored = (await apps[1].container.stores.accounts.findById(account.id))!;
    expect(await apps[1].container.hasher.verify(stored.passwordHash, uses[won[0]!]!.password)).toBe(true);
  });
});
