/*
 * Argument checks shared by the OneTimeStore adapters, so every backend refuses the same
 * programming errors (never user input) instead of storing something take() could match.
 */

/** A digest must be non-empty: a claim() is stored without one, and must never be taken. */
export function assertDigest(digest: string): void {
  if (typeof digest !== 'string' || digest.length === 0) throw new TypeError('A one-time digest must be a non-empty string');
}

/** Whole milliseconds, at least 1: an expiry that has already passed would store nothing usable. */
export function ttlOf(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError(`Invalid one-time ttl: ${ttlMs}`);
  return Math.max(1, Math.ceil(ttlMs));
}

export function nowOf(nowMs: number | undefined): number {
  return Math.floor(nowMs ?? Date.now());
}
