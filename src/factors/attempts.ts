import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { CounterLimit, CounterStore } from '../store/ports.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Wrong answers to one factor of one account: 5 free, then a wait doubling from 30 s to 15
 * minutes, and from the 30th consecutive failure one attempt a day — a hard cap far under
 * NIST's 100. Counted across every flow and instance (the key has no flow in it); reset by a
 * right answer, and forgotten only after a week without a counted failure, so the daily
 * wait really repeats instead of handing out 5 free tries again the next day.
 */
export const FACTOR_ATTEMPT_LIMIT: CounterLimit = {
  free: 5,
  waitsMs: [0.5 * MINUTE, MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, ...Array<number>(19).fill(15 * MINUTE), 24 * HOUR],
  ttlMs: 7 * 24 * HOUR,
};

/** Codes sent, per account, per destination and per client IP (SMS-pumping protection). */
export const SEND_LIMITS = {
  account: { free: 10, waitsMs: [HOUR], ttlMs: HOUR },
  destination: { free: 5, waitsMs: [HOUR], ttlMs: HOUR },
  ip: { free: 20, waitsMs: [HOUR], ttlMs: HOUR },
} satisfies Record<string, CounterLimit>;

const hashed = (value: string) => createHash('sha256').update(value).digest('base64url');
const minutesUntil = (retryAt: number, now: number) => String(Math.max(1, Math.ceil((retryAt - now) / MINUTE)));

export interface FactorLimits {
  /**
   * Security rule "wrong attempts are limited per account and per factor": reserves an
   * attempt before `check` runs (so parallel guesses cannot slip past), resets the count
   * when `check` returns a value, keeps it counted when it returns null.
   */
  attempt<T>(accountId: string, factorKey: string, check: () => Promise<T | null>): Promise<T | null>;
  /** Security rule "sends are rate-limited per account, destination and IP": reserves one send of each, or throws. */
  reserveSend(accountId: string, destination: string, ip: string): Promise<void>;
}

export function createFactorLimits(deps: {
  counters: CounterStore;
  clock: Clock;
  /** Told when a wrong answer starts a wait for the factor (the free attempts are used up), for the audit log. */
  onLocked?: (accountId: string, factorKey: string) => Promise<void>;
}): FactorLimits {
  const { counters, clock } = deps;
  return {
    async attempt(accountId, factorKey, check) {
      const now = clock.now();
      const key = `factor:attempts:${accountId}:${factorKey}`;
      const reservation = await counters.reserve(key, now, FACTOR_ATTEMPT_LIMIT);
      if (!reservation.ok) throw new AppError('code_throttled', 429, { minutes: minutesUntil(reservation.retryAt, now) });
      const result = await check();
      if (result !== null) await counters.reset(key);
      else if (reservation.count === FACTOR_ATTEMPT_LIMIT.free) await deps.onLocked?.(accountId, factorKey);
      return result;
    },
    async reserveSend(accountId, destination, ip) {
      const now = clock.now();
      const keys: [string, CounterLimit][] = [
        [`send:account:${accountId}`, SEND_LIMITS.account],
        [`send:destination:${hashed(destination)}`, SEND_LIMITS.destination],
        [`send:ip:${hashed(ip)}`, SEND_LIMITS.ip],
      ];
      const taken: string[] = [];
      for (const [key, limit] of keys) {
        const reservation = await counters.reserve(key, now, limit);
        if (!reservation.ok) {
          await Promise.all(taken.map((k) => counters.release(k, now)));
          throw new AppError('send_throttled', 429, { minutes: minutesUntil(reservation.retryAt, now) });
        }
        taken.push(key);
      }
    },
  };
}
