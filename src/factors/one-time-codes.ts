import type { Clock } from '../clock.js';
import { generateNumericCode, type CodeHasher } from '../crypto/code-hash.js';
import type { OneTimeStore } from '../store/ports.js';

/** Codes sent by text, call or email live this long (NIST: at most 10 minutes for out-of-band codes). */
export const CODE_TTL_MS = 10 * 60_000;

export interface OneTimeCodes {
  /** A new 6-digit code stored under `key` as a keyed hash only; replaces any earlier code for that key. */
  issue(key: string): Promise<string>;
  /** True for exactly one caller presenting the right code (atomic compare-and-delete); a wrong code leaves it in place. */
  consume(key: string, code: string): Promise<boolean>;
}

export function createOneTimeCodes(deps: { oneTime: OneTimeStore; hasher: CodeHasher; clock: Clock }): OneTimeCodes {
  const { oneTime, hasher, clock } = deps;
  return {
    async issue(key) {
      const code = generateNumericCode(6);
      await oneTime.put(key, hasher.digest(code, key), CODE_TTL_MS, clock.now());
      return code;
    },
    async consume(key, code) {
      if (!/^\d{6}$/.test(code)) return false;
      return oneTime.take(key, hasher.digest(code, key), clock.now());
    },
  };
}
