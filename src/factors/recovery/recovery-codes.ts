import { randomBytes } from 'node:crypto';
import type { CodeHasher } from '../../crypto/code-hash.js';
import { AppError } from '../../errors.js';
import type { RecoveryCodeStore } from '../../store/ports.js';
import type { Proof } from '../assurance.js';
import type { FactorLimits } from '../attempts.js';

/**
 * The recovery key and the backup codes: saved when 2FA is turned on, for when the second
 * factor is lost. Verify only (they are never "enrolled" like a device): made and shown
 * once, stored only as keyed digests bound to the account, each consumed by one atomic
 * conditional write. Their proofs are class `recovery` (assurance.ts): amr `otp`, never phr.
 *
 * The recovery key works once: using it clears it, and the person is told to make a new
 * set on the security page (it is not silently replaced, so nothing new has to be shown
 * in the middle of a sign-in).
 */
export const BACKUP_CODE_COUNT = 10;
/** At or below this many unused codes the console and the sign-in warn, and the email says so. */
export const LOW_CODES = 3;

/** RFC 4648 base32: 32 symbols, so `byte & 31` is unbiased; no 0, 1 or 8 to confuse with O, I, B. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** 32 symbols × 5 bits = 160 bits. */
const KEY_LENGTH = 32;
/** 10 symbols × 5 bits = 50 bits: enough for a single-use code behind the attempt limit. */
const CODE_LENGTH = 10;

function randomSymbols(length: number): string {
  return [...randomBytes(length)].map((b) => ALPHABET[b & 31]).join('');
}
const group = (value: string, size: number) => value.match(new RegExp(`.{1,${size}}`, 'g'))!.join('-');

/** What people type or paste: case, spaces and dashes are forgiven, and 0/1/8 read as O/I/B. */
export function normaliseRecoveryInput(value: string): string {
  return value
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/0/g, 'O')
    .replace(/1/g, 'I')
    .replace(/8/g, 'B')
    .slice(0, 64);
}

export interface RecoverySecrets {
  /** Grouped for reading: XXXX-XXXX-… (8 groups of 4). */
  recoveryKey: string;
  /** Grouped: XXXXX-XXXXX. */
  codes: string[];
}

export type RecoveryMethod = 'backup_code' | 'recovery_key';

export interface RecoveryCodes {
  /** New secrets (not stored): the caller shows them once and stores them with `install`. */
  generate(): RecoverySecrets;
  /** Stores the digests of `secrets` for the account; the previous set stops working at once. */
  install(accountId: string, secrets: RecoverySecrets, nowMs: number): Promise<void>;
  /** Unused backup codes and whether the key is still usable. */
  remaining(accountId: string): Promise<{ codes: number; key: boolean }>;
  /** Forgets the account's set (2FA turned off: the last factor removed). */
  discard(accountId: string): Promise<void>;
  /** Whether the account has any recovery set at all (used or not). */
  issued(accountId: string): Promise<boolean>;
  /**
   * Checks a typed backup code or recovery key (attempts limited per account and method);
   * the proof, and for a backup code the number left. Throws wrong_code.
   */
  verify(accountId: string, method: RecoveryMethod, typed: string, nowMs: number): Promise<{ proof: Proof; remaining: number }>;
  /** The text file offered by "Download". */
  textFile(secrets: RecoverySecrets, issuer: string, email: string): string;
}

export function createRecoveryCodes(deps: { store: RecoveryCodeStore; hasher: CodeHasher; limits: FactorLimits }): RecoveryCodes {
  const { store, hasher, limits } = deps;
  const keyDigest = (accountId: string, key: string) => hasher.digest(normaliseRecoveryInput(key), `recovery-key:${accountId}`);
  const codeDigest = (accountId: string, code: string) => hasher.digest(normaliseRecoveryInput(code), `backup-code:${accountId}`);

  return {
    generate() {
      return {
        recoveryKey: group(randomSymbols(KEY_LENGTH), 4),
        codes: Array.from({ length: BACKUP_CODE_COUNT }, () => group(randomSymbols(CODE_LENGTH), 5)),
      };
    },
    async install(accountId, secrets, nowMs) {
      await store.replace(
        accountId,
        { recoveryKeyDigest: keyDigest(accountId, secrets.recoveryKey), codeDigests: secrets.codes.map((c) => codeDigest(accountId, c)) },
        nowMs,
      );
    },
    remaining: (accountId) => store.remaining(accountId),
    async discard(accountId) {
      await store.removeForAccount(accountId);
    },
    async issued(accountId) {
      return (await store.get(accountId)) !== null;
    },
    async verify(accountId, method, typed, nowMs) {
      const value = normaliseRecoveryInput(typed);
      const expected = method === 'recovery_key' ? KEY_LENGTH : CODE_LENGTH;
      const result = await limits.attempt(accountId, method, async () => {
        if (value.length !== expected || [...value].some((c) => !ALPHABET.includes(c))) return null;
        if (method === 'recovery_key') {
          if (!(await store.consumeRecoveryKey(accountId, keyDigest(accountId, value)))) return null;
          return (await store.remaining(accountId)).codes;
        }
        return store.consumeCode(accountId, codeDigest(accountId, value), nowMs);
      });
      if (result === null) throw new AppError('wrong_recovery_code', 400);
      return { proof: { method, at: nowMs }, remaining: result };
    },
    textFile(secrets, issuer, email) {
      return [
        `Latchkey recovery key and backup codes for ${email}`,
        `(${issuer})`,
        '',
        'Keep this file somewhere safe. Each backup code works once; the recovery key works once.',
        '',
        'Recovery key:',
        secrets.recoveryKey,
        '',
        'Backup codes:',
        ...secrets.codes.map((c, i) => `${String(i + 1).padStart(2, ' ')}. ${c}`),
        '',
      ].join('\r\n');
    },
  };
}
