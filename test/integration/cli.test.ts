import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CommanderError } from 'commander';
import * as oidc from 'openid-client';
import { buildProgram } from '../../src/cli/program.js';
import { AppError } from '../../src/errors.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { startTestApp, TEST_SECRET } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { authorizationRequest, discover, exchangeCode, REDIRECT_URI, signInThroughBrowser } from '../support/rp.js';

describe('the latchkey command', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
  const env = { DATA_DIR: dataDir, LATCHKEY_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Runs `latchkey …args` in-process and returns what it printed as JSON (or text). */
  async function latchkey(...args: string[]): Promise<unknown> {
    const printed: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((text: unknown) => void printed.push(String(text)));
    try {
      await buildProgram(env).parseAsync(['node', 'latchkey', ...args]);
    } finally {
      log.mockRestore();
    }
    const out = printed.join('\n');
    try {
      return JSON.parse(out);
    } catch {
      return out;
    }
  }

  test('users and clients created by the CLI sign in on a server using the same store', async () => {
    const user = (await latchkey('users', 'create', '--email', 'Bob@Example.com', '--password', 'long enough pw', '--name', 'Bob', '--verified')) as Record<string, unknown>;
    expect(user).toMatchObject({ email: 'bob@example.com', name: 'Bob', email_verified: true, id: expect.any(String) });
    await expect(latchkey('users', 'create', '--email', 'BOB@example.com', '--password', 'long enough pw')).rejects.toMatchObject(
      new AppError('email_taken', 409),
    );
    await expect(latchkey('users', 'create', '--email', 'eve@example.com', '--password', 'short')).rejects.toMatchObject({ code: 'password_too_short' });
    await expect(latchkey('users', 'create', '--email', 'not-an-email', '--password', 'long enough pw')).rejects.toMatchObject({ code: 'invalid_email' });
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await expect(latchkey('users', 'create', '--password', 'long enough pw')).rejects.toBeInstanceOf(CommanderError);
    jest.restoreAllMocks();
    expect(await latchkey('users', 'list')).toEqual([expect.objectContaining({ id: user.id, email: 'bob@example.com', disabled: false })]);

    const client = (await latchkey(
      'clients', 'create', '--name', 'Example RP',
      '--redirect-uri', REDIRECT_URI,
      '--post-logout-redirect-uri', 'https://rp.example/signed-out',
    )) as Record<string, unknown>;
    expect(client).toMatchObject({
      client_id: expect.any(String),
      client_secret: expect.any(String),
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const spa = (await latchkey('clients', 'create', '--name', 'SPA', '--redirect-uri', 'https://spa.example/cb', '--public')) as Record<string, unknown>;
    expect(spa).toMatchObject({ token_endpoint_auth_method: 'none' });
    expect(spa).not.toHaveProperty('client_secret');
    await expect(latchkey('clients', 'create', '--name', 'Bad', '--redirect-uri', 'not a url')).rejects.toMatchObject({ code: 'invalid_client_metadata' });
    await expect(latchkey('clients', 'create', '--name', 'Bad', '--redirect-uri', REDIRECT_URI, '--grant-type', 'password')).rejects.toMatchObject({
      code: 'invalid_client_metadata',
    });

    const listed = (await latchkey('clients', 'list')) as Array<Record<string, unknown>>;
    expect(listed.map((c) => c.client_id)).toEqual([client.client_id, spa.client_id]);
    expect(listed.every((c) => !('client_secret' in c))).toBe(true);
    expect(await latchkey('clients', 'delete', spa.client_id as string)).toBe(`Deleted client ${spa.client_id}`);
    await expect(latchkey('clients', 'delete', spa.client_id as string)).rejects.toMatchObject({ code: 'unknown_client' });
    expect(await latchkey('db', 'indexes')).toMatch(/MongoDB is not configured/);

    // The server on the same SQLite file knows the CLI's user and client.
    const app = await startTestApp({ stores: createSqliteStores(join(dataDir, 'latchkey.sqlite')) });
    try {
      const config = await discover(app, client as never);
      const attempt = await authorizationRequest(config, 'openid email');
      const callback = await signInThroughBrowser(new Browser(app.url), attempt.url, 'bob@example.com', 'long enough pw');
      const tokens = await exchangeCode(config, attempt, callback);
      expect(tokens.claims()!.sub).toBe(user.id);
      expect(await oidc.fetchUserInfo(config, tokens.access_token, user.id as string)).toMatchObject({
        email: 'bob@example.com',
        email_verified: true,
      });
    } finally {
      await app.close();
    }
  });
});
