import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Account, AccountStore, CounterLimit, CounterStore } from '../store/ports.js';
import { failureLimit, ipLimit, LOCKOUT_POLICY, waitAfterFailures, type LockoutPolicy } from './lockout.js';
import type { PasswordHasher } from './password.js';

export type SignInResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAt: number };

export interface SignInAttempt {
  email: string;
  password: string;
  clientIp: string;
  /** The device id of a valid device token this browser holds for the account of `email`, or null. */
  deviceId: string | null;
  /** The browser's User-Agent, kept with the account's audit events when given. */
  userAgent?: string;
}

export interface PasswordSignIn {
  verify(attempt: SignInAttempt): Promise<SignInResult>;
}

const lockDetail = (failures: number, waitMs: number, device: boolean) => {
  const wait = waitMs < 60_000 ? `${Math.ceil(waitMs / 1000)} seconds` : `${Math.ceil(waitMs / 60_000)} minute(s)`;
  return `${failures} wrong passwords in a row; ${device ? 'this browser waits' : 'sign-ins without a known browser wait'} ${wait}`;
};

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const hashKey = (value: string) => createHash('sha256').update(value).digest('base64url');

type CounterName = 'ip' | 'account' | 'device';

interface Counter {
  name: CounterName;
  key: string;
  limit: CounterLimit;
}

/**
 * Email + password check with brute-force protection (OWASP's device-cookie design).
 *
 * Security rules enforced here:
 * - unknown email, wrong password and disabled account give the same answer after the
 *   same argon2 work (a dummy hash is verified for unknown emails);
 * - every counter an attempt falls under is reserved with one atomic step *before* the
 *   password is checked, so parallel attempts cannot slip past a limit; a refused attempt
 *   changes no counter, so refusals neither lengthen a wait nor cost the attacker nothing
 *   while costing the owner more;
 * - from a browser with a valid device token for the account, failures count against that
 *   token alone (5 free, then a doubling wait to a cap), so failures from elsewhere never
 *   lock the owner's known browser out, and the per-IP limit never applies to it;
 * - without one, failures count per account (same policy) and per client IP;
 * - wrong passwords and locks of an existing account go to its audit log; an unknown email
 *   leaves none (the log must not grow, nor tell anything, for addresses nobody owns).
 */
export function createPasswordSignIn(deps: {
  accounts: AccountStore;
  counters: CounterStore;
  hasher: PasswordHasher;
  audit: Pick<Audit, 'record'>;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  policy?: Readonly<LockoutPolicy>;
}): PasswordSignIn {
  const { accounts, counters, hasher, audit, clock, logger, policy = LOCKOUT_POLICY } = deps;
  let dummyHash: Promise<string> | undefined;

  // Not awaited: an audit write only for existing accounts would make their refusals slower
  // than an unknown email's, undoing the dummy verification. The answer is a refusal either
  // way, so a store that fails here fails nothing open; it is logged.
  const auditRefusal = (...args: Parameters<Audit['record']>) =>
    void audit.record(...args).catch((error: unknown) => logger.warn({ event: 'audit.failed', type: args[1], accountId: args[0], err: error }, 'audit event not stored'));

  // Reservations are only taken back on the way out; a Redis that fails now must not hide
  // the answer (or the error) of the attempt itself.
  const releaseAll = (reserved: Counter[], now: number) =>
    Promise.all(reserved.map((counter) => counters.release(counter.key, now).catch(() => undefined)));

  return {
    async verify({ email, password, clientIp, deviceId, userAgent }) {
      const now = clock.now();
      const normalized = normalizeEmail(email);
      const emailHash = hashKey(normalized);
      const context = { emailHash, ip: clientIp, device: deviceId !== null };

      const applicable: Counter[] =
        deviceId !== null
          ? [{ name: 'device', key: `signin:device:${deviceId}`, limit: failureLimit(policy) }]
          : [
              { name: 'ip', key: `signin:ip:${hashKey(clientIp)}`, limit: ipLimit(policy) },
              { name: 'account', key: `signin:email:${emailHash}`, limit: failureLimit(policy) },
            ];

      const reserved: Counter[] = [];
      let failures = 0;
      for (const counter of applicable) {
        let reservation;
        try {
          reservation = await counters.reserve(counter.key, now, counter.limit);
        } catch (error) {
          await releaseAll(reserved, now);
          throw error;
        }
        if (!reservation.ok) {
          await releaseAll(reserved, now);
          logger.info({ event: 'signin.throttled', ...context, reason: `${counter.name}_limit`, retryAt: reservation.retryAt });
          return { ok: false, reason: 'throttled', retryAt: reservation.retryAt };
        }
        reserved.push(counter);
        if (counter.name !== 'ip') failures = reservation.count;
      }

      let account: Account | null;
      let matches: boolean;
      try {
        account = await accounts.findByEmail(normalized);
        dummyHash ??= hasher.hash('latchkey-timing-equaliser');
        matches = await hasher.verify(account?.passwordHash ?? (await dummyHash), password);
      } catch (error) {
        // The password was not checked: the attempt is not a failure.
        await releaseAll(reserved, now);
        throw error;
      }

      if (account && matches && !account.disabled) {
        for (const counter of reserved) {
          if (counter.name === 'ip') await counters.release(counter.key, now);
          else await counters.reset(counter.key);
        }
        logger.info({ event: 'signin.succeeded', accountId: account.id, ip: clientIp, device: context.device });
        return { ok: true, account };
      }

      const reason = !account ? 'unknown_email' : account.disabled ? 'account_disabled' : 'wrong_password';
      // The operator's log keeps the detail (email hash, reason) for unknown emails too; the
      // account's audit log has what its owner reads.
      logger.info({ event: 'signin.failed', ...context, accountId: account?.id, reason });
      const where = { ip: clientIp, userAgent };
      if (account && !matches) auditRefusal(account.id, 'signin.failed', where, deviceId !== null ? 'from a browser that signed in before' : undefined);
      const wait = waitAfterFailures(failures, policy);
      if (wait > 0) {
        if (account) auditRefusal(account.id, 'signin.locked', where, lockDetail(failures, wait, deviceId !== null));
        logger.warn({
          event: 'signin.locked',
          ...context,
          accountId: account?.id,
          scope: deviceId !== null ? 'device' : 'account',
          failures,
          waitMs: wait,
        });
      }
      return { ok: false, reason: 'invalid_credentials' };
    },
  };
}
