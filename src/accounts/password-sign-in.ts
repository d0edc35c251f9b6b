import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
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
}

export interface PasswordSignIn {
  verify(attempt: SignInAttempt): Promise<SignInResult>;
}

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
 * - without one, failures count per account (same policy) and per client IP.
 */
export function createPasswordSignIn(deps: {
  accounts: AccountStore;
  counters: CounterStore;
  hasher: PasswordHasher;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
  policy?: Readonly<LockoutPolicy>;
}): PasswordSignIn {
  const { accounts, counters, hasher, clock, logger, policy = LOCKOUT_POLICY } = deps;
  let dummyHash: Promise<string> | undefined;

  // Reservations are only taken back on the way out; a Redis that fails now must not hide
  // the answer (or the error) of the attempt itself.
  const releaseAll = (reserved: Counter[], now: number) =>
    Promise.all(reserved.map((counter) => counters.release(counter.key, now).catch(() => undefined)));

  return {
    async verify({ email, password, clientIp, deviceId }) {
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
      logger.info({ event: 'signin.failed', ...context, accountId: account?.id, reason });
      const wait = waitAfterFailures(failures, policy);
      if (wait > 0) {
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
