import { setImmediate as nextTurnOfTheLoop } from 'node:timers/promises';
import argon2 from 'argon2';
import { keptArgon2BlocksRelease } from './argon2-patch.js';
import { usableCores } from './usable-cores.js';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/** OWASP's minimum argon2id parameters: 19 MiB, two passes, one lane. */
export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * At most `limit()` callers at a time, the limit read at each call (it may change while the
 * process runs); the others wait their turn, first come first served. Returns a function
 * that runs `task` under the limit.
 */
export function limiter(limit: () => number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit()) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next caller, or free it (when the limit fell, free it).
      const next = running <= limit() ? waiting.shift() : undefined;
      if (next) next();
      else running--;
    }
  };
}

/** How long argon2id's working blocks stay mapped after the last computation (see argon2Hasher). */
export const ARGON2_IDLE_RELEASE_MS = 10_000;

/**
 * argon2id at ARGON2_PARAMS. Each hash or verification holds 19 MiB and a whole core for
 * tens of milliseconds, so no more run at once than there are cores to run them (by default
 * the cores this process may use at that moment: its CPU affinity, which taskset or a CPU
 * manager can change after start, bounded by its cgroup's CPU quota; see usable-cores.ts):
 * more would only queue inside libuv's thread pool while holding their memory, and take its
 * threads from file and DNS work.
 *
 * When the process may use one core only, the computations run on the event loop's own
 * thread, one per turn of the loop, instead of on a pool thread: there a pool thread gains
 * nothing (it shares that core with the event loop) and costs a thread switch, on caches
 * argon2id has swept, for every request and Redis reply that arrives while it runs; on the
 * loop, those wait for the computation (~20 ms) and are handled together after it
 * (BENCHMARKS.md, "Logins on one saturated core"). Where the installed argon2 lacks the
 * patch, its pool is used.
 *
 * argon2 as installed (patches/argon2+*.patch) keeps each 19 MiB block for the next
 * computation, which saves faulting it in afresh under load; once none has run for
 * `releaseIdleBlocksAfterMs`, the blocks go back to the system.
 */
export function argon2Hasher(
  options: { concurrency?: number; cores?: () => number; releaseIdleBlocksAfterMs?: number } = {},
): PasswordHasher {
  const { concurrency, cores = usableCores(), releaseIdleBlocksAfterMs = ARGON2_IDLE_RELEASE_MS } = options;
  const oneCore = () => cores() === 1;
  // On one core, one at a time: two computations in the same turn would hold the loop for both.
  const limited = limiter(() => (oneCore() ? 1 : Math.max(1, concurrency ?? cores())));
  const releaseKeptBlocks = keptArgon2BlocksRelease();
  let idle: NodeJS.Timeout | undefined;
  // Re-armed after every computation (refresh() only moves its deadline); a block in use is
  // never released, so firing while another hasher computes is harmless.
  const afterComputation = () => {
    if (idle) idle.refresh();
    else idle = setTimeout(() => void releaseKeptBlocks(), releaseIdleBlocksAfterMs).unref();
  };
  const computed = async <T>(computation: (onCallingThread: boolean) => Promise<T>): Promise<T> => {
    const onCallingThread = oneCore();
    // A turn of its own: whatever arrived during the previous computation is handled first.
    if (onCallingThread) await nextTurnOfTheLoop();
    try {
      return await computation(onCallingThread);
    } finally {
      afterComputation();
    }
  };
  return {
    hash: (password) => limited(() => computed((onCallingThread) => argon2.hash(password, { ...ARGON2_PARAMS, onCallingThread }))),
    verify: (hash, password) =>
      limited(() =>
        computed(async (onCallingThread) => {
          try {
            return await argon2.verify(hash, password, { onCallingThread });
          } catch {
            return false;
          }
        }),
      ),
  };
}

/** Password rule of the design: 8–128 characters, no composition rules. Returns a message key or null. */
export function passwordProblem(password: string): 'password_too_short' | 'password_too_long' | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'password_too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'password_too_long';
  return null;
}
