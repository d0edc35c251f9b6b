import type { CounterLimit } from '../store/ports.js';

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
  /** Consecutive failures allowed (per account, or per device token) before the next attempt has to wait. */
  freeFailures: 5,
  firstWaitMs: 30_000,
  maxWaitMs: 15 * 60_000,
  /** A failure count is forgotten this long after its last counted attempt. */
  forgetAfterMs: 24 * 60 * 60_000,
  /** Failed attempts one client IP may make without a device token, over all accounts… */
  ipMaxFailures: 100,
  /** …before it waits this long; its count is forgotten this long after its last counted attempt. */
  ipWindowMs: 15 * 60_000,
};

/** How long the next attempt waits after `failures` consecutive failures: doubling, capped, never permanent. */
export function waitAfterFailures(failures: number, policy: Readonly<LockoutPolicy> = LOCKOUT_POLICY): number {
  if (failures < policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures, 20);
  return Math.min(policy.firstWaitMs * 2 ** doublings, policy.maxWaitMs);
}

/**
 * The CounterStore limit for an account's or a device token's failures: waitAfterFailures()
 * as a schedule the store applies atomically (the doubling until the cap, which then repeats).
 */
export function failureLimit(policy: Readonly<LockoutPolicy> = LOCKOUT_POLICY): CounterLimit {
  const waitsMs: number[] = [];
  for (let failures = policy.freeFailures; ; failures++) {
    const wait = waitAfterFailures(failures, policy);
    waitsMs.push(wait);
    if (wait >= policy.maxWaitMs || failures - policy.freeFailures >= 20) break;
  }
  return { free: policy.freeFailures, waitsMs, ttlMs: policy.forgetAfterMs };
}

/** The CounterStore limit for one client IP: refused from the limit on until the count is forgotten. */
export function ipLimit(policy: Readonly<LockoutPolicy> = LOCKOUT_POLICY): CounterLimit {
  return { free: policy.ipMaxFailures, waitsMs: [policy.ipWindowMs], ttlMs: policy.ipWindowMs };
}
