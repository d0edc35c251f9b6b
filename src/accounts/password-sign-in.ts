import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Account, AccountStore, CounterStore } from '../store/ports.js';
import { LOCKOUT_POLICY, lockedUntil, type LockoutPolicy } from './lockout.js';
import type { PasswordHasher } from './password.js';

export type SignInResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAt: number };

export interface PasswordSignIn {
  verify(email: string, password: string, clientIp: string): Promise<SignInResult>;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const hashKey = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Email + password check with brute-force protection.
 *
 * Security rules enforced here:
 * - unknown email, wrong password and disabled account give the same answer after the
 *   same argon2 work (a dummy hash is verified for unknown emails);
 * - every attempt is counted per email (existing or not) with one atomic increment
 *   *before* the password is checked, so parallel attempts cannot slip past the limit;
 *   after 5 consecutive failures each attempt waits, the wait doubling up to a cap;
 * - failures per client IP are limited too.
 */
export function createPasswordSignIn(deps: {
  accounts: AccountStore;
  counters: CounterStore;
  hasher: PasswordHasher;
  clock: Clock;
  policy?: Readonly<LockoutPolicy>;
}): PasswordSignIn {
  const { accounts, counters, hasher, clock, policy = LOCKOUT_POLICY } = deps;
  let dummyHash: Promise<string> | undefined;

  return {
    async verify(email, password, clientIp) {
      const now = clock.now();
      const emailKey = `signin:email:${hashKey(normalizeEmail(email))}`;
      const ipKey = `signin:ip:${hashKey(clientIp)}`;

      if ((await counters.peek(ipKey, now)) >= policy.ipMaxFailures) {
        return { ok: false, reason: 'throttled', retryAt: now + policy.ipWindowMs };
      }
      const hit = await counters.hit(emailKey, now, policy.forgetAfterMs);
      const retryAt = lockedUntil(hit, now, policy);
      if (retryAt !== null) return { ok: false, reason: 'throttled', retryAt };

      const account = await accounts.findByEmail(normalizeEmail(email));
      dummyHash ??= hasher.hash('latchkey-timing-equaliser');
      const matches = await hasher.verify(account?.passwordHash ?? (await dummyHash), password);
      if (account && matches && !account.disabled) {
        await counters.reset(emailKey);
        return { ok: true, account };
      }
      await counters.hit(ipKey, now, policy.ipWindowMs);
      return { ok: false, reason: 'invalid_credentials' };
    },
  };
}
