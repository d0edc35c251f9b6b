import { AppError } from '../../src/errors.js';
import type { BackupMethod } from '../../src/store/ports.js';
import { createUser, type TestApp } from '../support/app.js';
import { appBackends } from '../support/backends.js';
import { latestCode } from '../support/console.js';

/**
 * The backup method's service (recovery/backup-methods.ts) as the sign-in flow calls it:
 * the code sent to the backup destination, and its one-time check, on every short-lived backend.
 */
const backends = await appBackends('backup method codes', { instances: 1 });
const PARALLEL = 50;

describe.each(backends)('backup method codes under $name', ({ start }) => {
  let app: TestApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({
      apps: [app],
      close,
    } = await start());
  });
  afterAll(() => close());

  let n = 0;
  /** A fresh account and an IP of its own (sends are limited per IP too). */
  async function account() {
    n += 1;
    return { account: await createUser(app, `backup-codes-${n}@example.com`), ip: `198.51.100.${n}` };
  }

  /** Sets up `input` as the account's backup method through begin/finish, with the code from the outbox. */
  async function withBackup(input: Record<string, string>, to: string) {
    const { account: acc, ip } = await account();
    const service = app.container.backupMethods;
    const pending = await service.begin(acc, input, ip);
    const { method, previous } = await service.finish(acc, pending, await latestCode(app, to));
    expect(previous).toBeNull();
    return { account: acc, ip, method };
  }

  const thrown = async (promise: Promise<unknown>): Promise<AppError> => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
    throw new Error('did not throw');
  };

  test('a text message: the right code gives a proof through that number; it works once; describe() masks it', async () => {
    const { account: acc, ip, method } = await withBackup({ kind: 'phone', channel: 'sms', country: 'GB', number: '07400 111001' }, '+447400111001');
    const service = app.container.backupMethods;
    expect(method).toMatchObject({ kind: 'phone', destination: '+447400111001', channel: 'sms' });
    expect(service.describe(method)).toBe('Text message to +44•••••••001');
    expect(await service.get(acc.id)).toMatchObject({ destination: '+447400111001' });

    await service.sendSignInCode(acc, method, ip);
    const code = await latestCode(app, '+447400111001');
    const proof = await service.verifySignInCode(acc, method, code);
    expect(proof).toMatchObject({ method: 'sms', channel: '+447400111001' });
    expect(typeof proof.at).toBe('number');
    expect((await thrown(service.verifySignInCode(acc, method, code))).code).toBe('wrong_code');
  });

  test('a phone call and an email: the proof names the channel; the email says what the code is for', async () => {
    const service = app.container.backupMethods;
    const voice = await withBackup({ kind: 'phone', channel: 'voice', country: 'GB', number: '+44 7400 111002' }, '+447400111002');
    expect(service.describe(voice.method)).toBe('Phone call to +44•••••••002');
    await service.sendSignInCode(voice.account, voice.method, voice.ip);
    const outbox = (await app.container.delivery.outbox!.read()).filter((e) => e.to === '+447400111002');
    expect(outbox.at(-1)!.kind).toBe('voice');
    expect(await service.verifySignInCode(voice.account, voice.method, await latestCode(app, '+447400111002'))).toMatchObject({ method: 'voice', channel: '+447400111002' });

    const email = await withBackup({ kind: 'email', email: 'Backup.Box@example.org' }, 'Backup.Box@example.org');
    expect(service.describe(email.method)).toBe('Email to B***@example.org');
    await service.sendSignInCode(email.account, email.method, email.ip);
    const mail = (await app.container.delivery.outbox!.read()).filter((e) => e.to === 'Backup.Box@example.org').at(-1)!;
    expect(mail.text).toContain('get back into your account with your backup method');
    expect(await service.verifySignInCode(email.account, email.method, ` ${await latestCode(app, 'Backup.Box@example.org')} `)).toMatchObject({
      method: 'email',
      channel: 'backup.box@example.org',
    });
  });

  test('a wrong code is wrong_code; a resend voids the previous code; 5 wrong answers, then even the right one waits', async () => {
    const service = app.container.backupMethods;
    const { account: acc, ip, method } = await withBackup({ kind: 'email', email: 'guesses@example.net' }, 'guesses@example.net');
    await service.sendSignInCode(acc, method, ip);
    const first = await latestCode(app, 'guesses@example.net');
    await service.sendSignInCode(acc, method, ip);
    const second = await latestCode(app, 'guesses@example.net');
    const wrong = second === '000000' ? '111111' : '000000';
    // The voided code is the first of 5 wrong answers (a 1-in-a-million equal code is just another wrong one).
    const answers = [(await thrown(service.verifySignInCode(acc, method, first === second ? wrong : first))).code];
    for (let i = 0; i < 4; i++) answers.push((await thrown(service.verifySignInCode(acc, method, wrong))).code);
    expect(answers).toEqual(Array(5).fill('wrong_code'));
    const locked = await thrown(service.verifySignInCode(acc, method, second));
    expect(locked.code).toBe('code_throttled');
    expect(locked.status).toBe(429);
  });

  test(`one code verified ${PARALLEL} times in parallel gives exactly one proof`, async () => {
    const service = app.container.backupMethods;
    const { account: acc, ip, method } = await withBackup({ kind: 'phone', channel: 'sms', country: 'GB', number: '07400 111003' }, '+447400111003');
    await service.sendSignInCode(acc, method, ip);
    const code = await latestCode(app, '+447400111003');
    const results = await Promise.allSettled(Array.from({ length: PARALLEL }, () => service.verifySignInCode(acc, method, code)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AppError);
  });

  test("another account's code, and the setup code, never work as a sign-in code", async () => {
    const service = app.container.backupMethods;
    const mine = await withBackup({ kind: 'email', email: 'shared-box@example.net' }, 'shared-box@example.net');
    const theirs = await account();
    // Another account whose backup method names the same destination (stored directly: only the keys differ).
    const theirMethod: BackupMethod = { ...mine.method, accountId: theirs.account.id };
    await app.container.stores.backupMethods.set(theirMethod);
    await service.sendSignInCode(theirs.account, theirMethod, theirs.ip);
    const theirCode = await latestCode(app, 'shared-box@example.net');
    expect((await thrown(service.verifySignInCode(mine.account, mine.method, theirCode))).code).toBe('wrong_code');
    // A method of another account is refused outright.
    expect((await thrown(service.verifySignInCode(mine.account, theirMethod, theirCode))).code).toBe('bad_request');

    // A fresh setup code for the same destination: it answers only the setup.
    const setup = await service.begin(mine.account, { kind: 'email', email: 'shared-box@example.net' }, mine.ip);
    const setupCode = await latestCode(app, 'shared-box@example.net');
    expect((await thrown(service.verifySignInCode(mine.account, mine.method, setupCode))).code).toBe('wrong_code');
    const { previous } = await service.finish(mine.account, setup, setupCode);
    expect(previous).toMatchObject({ destination: 'shared-box@example.net' });
  });
});
