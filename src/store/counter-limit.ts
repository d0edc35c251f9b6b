import type { CounterLimit } from './ports.js';

/**
 * How long the next attempt waits after `count` counted attempts under `limit`, from the
 * last one. The Redis adapter computes the same in Lua; the contract tests hold them equal.
 */
export function waitAfterCount(limit: CounterLimit, count: number): number {
  if (count < limit.free || count <= 0) return 0;
  const index = Math.min(count - limit.free, limit.waitsMs.length - 1);
  return limit.waitsMs[index] ?? 0;
}

/** Rejects limits the adapters could not apply (a programming error, never user input). */
export function assertCounterLimit(limit: CounterLimit): void {
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (!whole(limit.free) || limit.waitsMs.length === 0 || !limit.waitsMs.every(whole) || !whole(limit.ttlMs) || limit.ttlMs < 1) {
    throw new TypeError(`Invalid counter limit: ${JSON.stringify(limit)}`);
  }
}
