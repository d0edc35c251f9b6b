import type { CounterHit } from '../store/ports.js';

export interface LockoutPolicy {
  freeFailures: number;
  firstWaitMs: number;
  maxWaitMs: number;
  forgetAfterMs: number;
  ipMaxFailures: number;
  ipWindowMs: number;
}

/** Brute-force policy for password sign-in. Pure; the counters live in the CounterStore. */
export const LOCKOUT_POLICY: Readonly<LockoutPolicy> = {
  /** Consecutive failures allowed before the account has to wait. */
  freeFailures: 5,
  firstWaitMs: 30_000,
  maxWaitMs: 15 * 60_000,
  /** A failure count is forgotten this long after its last attempt. */
  forgetAfterMs: 24 * 60 * 60_000,
  /** Failed attempts one client IP may make within ipWindowMs, over all accounts. */
  ipMaxFailures: 100,
  ipWindowMs: 15 * 60_000,
};

/** How long the account waits after `failures` consecutive failures: doubling, capped, never permanent. */
export function waitAfterFailures(failures: number, policy: Readonly<LockoutPolicy> = LOCKOUT_POLICY): number {
  if (failures < policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures, 20);
  return Math.min(policy.firstWaitMs * 2 ** doublings, policy.maxWaitMs);
}

/**
 * Given the hit just counted for an attempt, the time until which the attempt must be
 * refused without checking the password, or null when it may proceed.
 */
export function lockedUntil(hit: CounterHit, nowMs: number, policy: Readonly<LockoutPolicy> = LOCKOUT_POLICY): number | null {
  const failuresBefore = hit.count - 1;
  const wait = waitAfterFailures(failuresBefore, policy);
  if (wait === 0 || hit.previousHitAt === null) return null;
  const until = hit.previousHitAt + wait;
  return until > nowMs ? until : null;
}
