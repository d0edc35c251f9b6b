import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { buildProgram } from '../../src/cli/program.js';
import type { SecretInput } from '../../src/cli/read-secret.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { argon2Hasher } from '../../src/accounts/password.js';
import { TEST_SECRET } from '../support/app.js';

/** A terminal (answers typed at prompts) or a pipe (prompt unavailable, stdin text). */
function fakeInput(options: { typed?: string[]; stdin?: string }): SecretInput & { prompts: string[] } {
  const typed = [...(options.typed ?? [])];
  const prompts: string[] = [];
  return {
    prompts,
    async readStdin() {
      if (options.stdin === undefined) throw new Error('stdin was not expected to be read');
      return options.stdin;
    },
    async prompt(question) {
      prompts.push(question);
      return options.typed ? typed.shift() : undefined;
    },
  };
}

describe('latchkey users create without the password on the command line', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cli-pw-'));
  const env = { DATA_DIR: dataDir, LATCHKEY_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const run = async (input: SecretInput, ...args: string[]) => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await buildProgram(env, input).parseAsync(['node', 'latchkey', 'users', 'create', ...args]);
    } finally {
      log.mockRestore();
    }
  };

  const passwordWorks = async (email: string, password: string) => {
    const stores = createSqliteStores(join(dataDir, 'latchkey.sqlite'));
    try {
      const account = await stores.accounts.findByEmail(email);
      return account !== null && (await argon2Hasher().verify(account.passwordHash, password));
    } finally {
      await stores.close();
    }
  };

  test('--password-stdin reads the password from standard input', async () => {
    await run(fakeInput({ stdin: 'piped pass phrase' }), '--email', 'pipe@example.com', '--password-stdin');
    expect(await passwordWorks('pipe@example.com', 'piped pass phrase')).toBe(true);
  });

  test('on a terminal the password is asked twice, and must match', async () => {
    const input = fakeInput({ typed: ['typed pass phrase', 'typed pass phrase'] });
    await run(input, '--email', 'tty@example.com');
    expect(input.prompts).toEqual(['Password: ', 'Repeat the password: ']);
    expect(await passwordWorks('tty@example.com', 'typed pass phrase')).toBe(true);
    await expect(run(fakeInput({ typed: ['one pass phrase', 'another phrase'] }), '--email', 'typo@example.com')).rejects.toThrow('The two passwords differ.');
    expect(await passwordWorks('typo@example.com', 'one pass phrase')).toBe(false);
  });

  test('without a terminal, standard input is read', async () => {
    await run(fakeInput({ stdin: 'from a pipe, no flag' }), '--email', 'nopty@example.com');
    expect(await passwordWorks('nopty@example.com', 'from a pipe, no flag')).toBe(true);
  });

  test('--password and --password-stdin together are refused', async () => {
    await expect(run(fakeInput({ stdin: 'x' }), '--email', 'both@example.com', '--password', 'long enough pw', '--password-stdin')).rejects.toThrow('not both');
  });
});
