import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { PasswordHasher } from '../../src/accounts/password.js';
import { buildApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { buildContainer, type Container } from '../../src/container.js';
import type { Stores } from '../../src/store/ports.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

/** A settable clock for tests that need to pass a wait. */
export class TestClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A clock that moves only when told to: for checks at an exact millisecond (expiry edges). */
export class FixedClock implements Clock {
  constructor(private nowMs = Date.now()) {}
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export interface TestApp {
  container: Container;
  server: Server;
  /** http://127.0.0.1:PORT (or http://localhost:PORT, see `hostname`) — also the issuer, unless `https` was asked for. */
  url: string;
  issuer: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  stores?: Stores;
  clock?: Clock;
  env?: Record<string, string>;
  /**
   * Serve an https issuer (https://127.0.0.1:PORT) over plain HTTP, as behind a
   * TLS-terminating proxy: requests must then say X-Forwarded-Proto: https.
   */
  https?: boolean;
  /** Keep the stores open on close (they are shared with another instance). */
  keepStores?: boolean;
  /** Wraps the real password hasher (see CountingHasher). */
  hasher?: (inner: PasswordHasher) => PasswordHasher;
  /** Defaults to a silent one. */
  logger?: Logger;
  /**
   * The host name in `url` and the issuer (default 127.0.0.1). WebAuthn refuses an IP address
   * as RP ID, and the RP ID is the issuer's host name: browser tests of security keys and
   * passkeys use 'localhost'. The server still listens on 127.0.0.1 only.
   */
  hostname?: '127.0.0.1' | 'localhost';
}

/**
 * The whole app on an in-memory SQLite store (unless stores are given), listening on a
 * free loopback port so that the issuer matches the URL clients use.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = options.hostname ?? '127.0.0.1';
  const url = `http://${host}:${port}`;
  const issuer = options.https ? `https://${host}:${port}` : url;
  // The suites drive hundreds of pages from one loopback address; the per-IP page limit
  // has a test of its own.
  const config = loadConfig({ ISSUER: issuer, ...(options.https ? { TRUST_PROXY: '1' } : {}), LATCHKEY_SECRET: TEST_SECRET, DATA_DIR: ':memory:', LOG_LEVEL: 'silent', PAGE_RATE_LIMIT: '0', ...options.env });
  const stores = options.stores ?? createSqliteStores(':memory:');
  const container = await buildContainer(config, {
    stores,
    clock: options.clock,
    logger: options.logger ?? pino({ level: 'silent' }),
    hasher: options.hasher,
  });
  server.on('request', buildApp(container).callback());
  return {
    container,
    server,
    url,
    issuer,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (!options.keepStores) await container.close();
    },
  };
}

export const TEST_PASSWORD = 'correct horse battery staple';

export async function createUser(app: TestApp, email = 'ada@example.com', password = TEST_PASSWORD) {
  return app.container.accounts.create({ email, password, name: 'Ada Lovelace', emailVerified: true });
}

/** Counts the password checks (argon2 verifications) the app makes, through the real hasher. */
export class CountingHasher {
  verifications = 0;
  readonly wrap = (inner: PasswordHasher): PasswordHasher => ({
    hash: (password) => inner.hash(password),
    verify: (hash, password) => {
      this.verifications++;
      return inner.verify(hash, password);
    },
  });
}
