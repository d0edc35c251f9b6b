import { createHmac, randomBytes } from 'node:crypto';
import { deriveKey } from './secret-box.js';

/**
 * Keyed hashing of one-time codes and tokens, per the rule "codes are stored only as keyed
 * hashes": a 6-digit code's plain hash is reversed offline in microseconds, an HMAC under a
 * server key (derived from LATCHKEY_SECRET, never stored) cannot be.
 */
export interface CodeHasher {
  /**
   * HMAC-SHA-256 of `code` bound to `context` (what the code is for, e.g. its OneTimeStore
   * key), base64url. The same code under two contexts hashes differently, so a digest cannot
   * be replayed elsewhere. Hashes the exact string: callers normalise typed input first.
   */
  digest(code: string, context: string): string;
}

export function createCodeHasher(masterSecret: string): CodeHasher {
  const key = deriveKey(masterSecret, 'codes');
  return {
    digest(code, context) {
      // Length-prefixed, so no (context, code) pair can be shifted into another.
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(Buffer.byteLength(context));
      return createHmac('sha256', key).update(prefix).update(context).update(code).digest('base64url');
    },
  };
}

/** Bytes at or above this are discarded: 250 is the largest multiple of 10 that fits in a byte. */
const UNBIASED_LIMIT = 250;

/**
 * A uniformly random string of decimal digits (leading zeros kept) from the CSPRNG. Bytes
 * of 250..255 are rejected rather than folded in with `% 10`, which would make 0–5 more
 * likely than 6–9. `random` is injectable for tests only.
 */
export function generateNumericCode(digits = 6, random: (size: number) => Buffer = randomBytes): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 32) throw new RangeError(`Invalid code length: ${digits}`);
  let code = '';
  while (code.length < digits) {
    for (const byte of random(digits - code.length + 4)) {
      if (byte >= UNBIASED_LIMIT) continue;
      code += String(byte % 10);
      if (code.length === digits) break;
    }
  }
  return code;
}
