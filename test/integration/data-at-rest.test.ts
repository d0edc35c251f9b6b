import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { buildContainer } from '../../src/container.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { redisBackedStores, redisUrlForTests, sharedSqlite } from '../support/redis.js';
import { authorizationRequest, discover, exchangeCode, registerWebClient, signInThroughBrowser } from '../support/rp.js';

const redisUrl = await redisUrlForTests('data at rest');

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

interface Issued {
  /** Every bearer value the flow handed out, by name. */
  secrets: Record<string, string>;
  clientId: string;
  accessToken: string;
}

/**
 * Sign-in (session cookie), authorization code, tokens, a refresh (so a consumed refresh
 * token stays stored next to its successor), and a pending device authorization.
 */
async function issueEverything(app: TestApp): Promise<Issued> {
  await createUser(app);
  const client = await registerWebClient(app);
  const config = await discover(app, client);
  const browser = new Browser(app.url);
  const attempt = await authorizationRequest(config);
  const callback = await signInThroughBrowser(browser, attempt.url, 'ada@example.com');
  const tokens = await exchangeCode(config, attempt, callback);
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  // Still live: a copy of the store taken now would be worth stealing.
  expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(true);

  const tv = await app.container.clients.create({ name: 'TV', redirectUris: [], grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'], public: true });
  const device = await oidc.initiateDeviceAuthorization(await discover(app, tv), { scope: 'openid' });

  const session = browser.cookie('_session');
  expect(session).toEqual(expect.any(String));
  return {
    secrets: {
      'authorization code': callback.searchParams.get('code')!,
      'access token': tokens.access_token,
      'refresh token (rotated out)': tokens.refresh_token!,
      'refreshed access token': refreshed.access_token,
      'refresh token': refreshed.refresh_token!,
      'session cookie': session!,
      'client secret': client.client_secret as string,
      'device code': device.device_code,
      'user code': device.user_code,
      'user code (normalized)': device.user_code.replace('-', ''),
    },
    clientId: client.client_id,
    accessToken: refreshed.access_token,
  };
}

/** The names of the secrets that occur in `dump`. */
const leaked = (dump: string, secrets: Record<string, string>) => Object.keys(secrets).filter((name) => dump.includes(secrets[name]!));

describe('a copy of the store holds no usable token', () => {
  test('SQLite: the database file and its write-ahead log contain none of the issued values', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-at-rest-'));
    const file = join(dataDir, 'latchkey.sqlite');
    const app = await startTestApp({ stores: createSqliteStores(file) });
    try {
      const issued = await issueEverything(app);
      const dump = ['', '-wal'].map((suffix) => (existsSync(file + suffix) ? readFileSync(file + suffix).toString('latin1') : '')).join('\n');
      // The bytes are readable and hold the artifacts, under the digest of their id.
      expect(dump).toContain(issued.clientId);
      expect(dump).toContain(sha256(issued.accessToken));
      expect(leaked(dump, issued.secrets)).toEqual([]);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  if (redisUrl) {
    test('Redis: no key and no value under the prefix contains any of the issued values', async () => {
      const longLived = sharedSqlite();
      const redis = redisBackedStores(redisUrl, longLived);
      const app = await startTestApp({ stores: redis.stores, keepStores: true });
      try {
        const issued = await issueEverything(app);
        const client = redis.redis.client;
        const parts: string[] = [];
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${redis.keyPrefix}*`, 'COUNT', 500);
          for (const key of keys) {
            const type = await client.type(key);
            const value =
              type === 'hash' ? await client.hgetall(key) : type === 'set' ? await client.smembers(key) : type === 'string' ? await client.get(key) : type;
            parts.push(key, JSON.stringify(value));
          }
          cursor = next;
        } while (cursor !== '0');
        const dump = parts.join('\n');
        expect(dump).toContain(sha256(issued.accessToken));
        expect(leaked(dump, issued.secrets)).toEqual([]);
        // Clients are long-lived records, kept on the SQLite side.
        const clients = longLived.db.prepare('SELECT metadata FROM clients').all() as { metadata: string }[];
        expect(clients.map((c) => c.metadata).join('\n')).not.toContain(issued.secrets['client secret']);
      } finally {
        await app.close();
        await redis.close();
        await longLived.close();
      }
    });
  }
});

describe('file permissions of the embedded store', () => {
  const mode = (path: string) => statSync(path).mode & 0o777;
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'latchkey-perms-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Starts Latchkey as the server does (stores and secret.key from DATA_DIR), writes once, and stops. */
  async function startOn(dataDir: string): Promise<void> {
    const container = await buildContainer(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
    try {
      await container.accounts.create({ email: `x${Date.now()}@example.com`, password: 'long enough pw', name: null, emailVerified: false });
      // While the database is open its write-ahead log and shared-memory index exist.
      for (const suffix of ['-wal', '-shm']) expect(mode(join(dataDir, `latchkey.sqlite${suffix}`))).toBe(0o600);
    } finally {
      await container.close();
    }
  }

  test('a new data directory is 0700, and the database, its -wal and -shm, and secret.key are 0600', async () => {
    const dataDir = join(root, 'nested', 'data');
    await startOn(dataDir);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'latchkey.sqlite'))).toBe(0o600);
    expect(mode(join(dataDir, 'secret.key'))).toBe(0o600);
  });

  test('an existing data directory and files of ours that are too open are narrowed on start', async () => {
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    await startOn(dataDir);
    for (const name of ['latchkey.sqlite', 'secret.key']) chmodSync(join(dataDir, name), 0o644);
    writeFileSync(join(dataDir, 'latchkey.sqlite-wal'), '');
    chmodSync(join(dataDir, 'latchkey.sqlite-wal'), 0o644);
    chmodSync(dataDir, 0o755);

    await startOn(dataDir);
    expect(mode(dataDir)).toBe(0o700);
    for (const name of ['latchkey.sqlite', 'secret.key']) expect(mode(join(dataDir, name))).toBe(0o600);
  });
});
