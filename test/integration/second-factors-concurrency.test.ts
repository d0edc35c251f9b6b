import type { Account } from '../../src/store/ports.js';
import { createUser, type TestApp } from '../support/app.js';
import { appBackends } from '../support/backends.js';
import { captureLog } from '../support/log-capture.js';
import { Browser } from '../support/browser.js';
import { openSignIn, submitPassword } from '../support/flow.js';
import { codeIn, lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, registerWebClient } from '../support/rp.js';

/** Every instance logs here: a completed sign-in is logged once, whichever request completed it. */
const log = captureLog();
const backends = await appBackends('second-factor concurrency', { instances: 2, logger: log.logger });

const PARALLEL = 50;

describe.each(backends)('second-factor codes under $name', ({ start }) => {
  let apps: [TestApp, TestApp];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ apps, close } = await start());
  });
  const completions = () => log.lines.filter((line) => line.event === 'signin.completed' && line.accountId === parallelAccount?.id).length;
  let parallelAccount: Account | undefined;
  afterAll(() => close());

  /** An account with an email-code factor, enrolled through its module (the console's path). */
  async function accountWithEmailCodes(email: string, codesTo: string): Promise<Account> {
    const account = await createUser(apps[0], email);
    const module = apps[0].container.factorRegistry.module('email')!;
    const env = { account, ip: '127.0.0.1', now: Date.now() };
    const pending = await module.beginEnrolment(env, { email: codesTo });
    await module.finishEnrolment(env, pending, { code: codeIn(await lastOutboxMessage(apps[0], codesTo)) });
    return account;
  }

  /** A sign-in on `app` past the password, at the email-code step; returns how to post a code. */
  async function atCodeStep(app: TestApp, email: string) {
    const config = await discover(app, await registerWebClient(app));
    const browser = new Browser(app.url);
    const page = await submitPassword(browser, await openSignIn(browser, (await authorizationRequest(config, 'openid')).url), email);
    expect(page.text).toContain('We sent a code to');
    const uid = page.url.split('/').pop()!;
    const csrf = page.text.match(/name="_csrf" value="([^"]+)"/)![1]!;
    return { browser, post: (code: string) => browser.post(`/interaction/${uid}/factor`, { _csrf: csrf, action: 'verify', code }) };
  }

  test(`one code submitted ${PARALLEL} times in parallel succeeds once`, async () => {
    parallelAccount = await accountWithEmailCodes('parallel@example.com', 'parallel-codes@example.org');
    const step = await atCodeStep(apps[0], 'parallel@example.com');
    const code = codeIn(await lastOutboxMessage(apps[0], 'parallel-codes@example.org'));
    const completedBefore = completions();
    const answers = await Promise.all(Array.from({ length: PARALLEL }, () => step.post(code)));
    // Requests that arrive after the winner are sent on to the same resume, never signed in again.
    expect(completions() - completedBefore).toBe(1);
    expect(answers.filter((a) => a.status === 303).length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.status < 500)).toBe(true);
  });

  test('wrong codes lock the factor for every instance: 5 free, the 6th waits, wherever it is sent', async () => {
    await accountWithEmailCodes('guesses@example.com', 'guesses-codes@example.org');
    const first = await atCodeStep(apps[0], 'guesses@example.com');
    const second = await atCodeStep(apps[1], 'guesses@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await (i % 2 === 0 ? first : second).post('000001')).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
    // Even the right code now waits: the lock is not fooled by a correct guess.
    const code = codeIn(await lastOutboxMessage(apps[1], 'guesses-codes@example.org'));
    expect((await second.post(code)).status).toBe(429);
  });
});

