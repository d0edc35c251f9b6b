import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { OneTimeStore } from '../store/ports.js';
import type { CodeHasher } from './code-hash.js';

/** accountId.issuedAt(base 36).secret(32 bytes, base64url) */
const TOKEN = /^([0-9a-f-]{36})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;

/** The emailed links there are; each account has at most one live link of each. */
export const LINK_PURPOSES = { passwordReset: 'password-reset', twoFactorReset: '2fa-reset' } as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[keyof typeof LINK_PURPOSES];

/** Kills the account's live link of `purpose`, if any. */
export const revokeLink = (oneTime: OneTimeStore, purpose: LinkPurpose, accountId: string): Promise<void> => oneTime.delete(`${purpose}:${accountId}`);

export interface LinkTokens {
  /** A new link token for the account; the previous one of this purpose stops working. */
  issue(accountId: string): Promise<string>;
  /** The account a well-formed token names while its own date says it may still work; uses nothing up. */
  read(token: string): { accountId: string } | null;
  /** Whether the token is still the account's live link (uses nothing up). */
  live(token: string): Promise<boolean>;
  /** Uses the token up: true for exactly one caller, while it is the account's latest and unexpired. */
  redeem(token: string): Promise<boolean>;
}

/**
 * Tokens of emailed single-use links (password reset, 2FA reset). Security rule "links are
 * single use, expire, and are stored only as keyed hashes": the token holds 32 random
 * bytes; the OneTimeStore keeps HMAC(issuedAt.secret) under `purpose:accountId` (a new
 * link replaces the previous one) for `ttlMs`, and `take` lets exactly one use through,
 * also under concurrency. The date in the token only spares a store read for old links.
 */
export function createLinkTokens(deps: { purpose: LinkPurpose; ttlMs: number; oneTime: OneTimeStore; hasher: CodeHasher; clock: Clock }): LinkTokens {
  const { purpose, ttlMs, oneTime, hasher, clock } = deps;
  const keyOf = (accountId: string) => `${purpose}:${accountId}`;
  const digestOf = (key: string, issued: string, secret: string) => hasher.digest(`${issued}.${secret}`, key);
  const parse = (token: string) => {
    const match = TOKEN.exec(token);
    if (!match) return null;
    const [, accountId, issued, secret] = match as unknown as [string, string, string, string];
    const issuedAt = parseInt(issued, 36);
    const now = clock.now();
    return issuedAt <= now && now - issuedAt < ttlMs ? { accountId, issued, secret } : null;
  };
  return {
    async issue(accountId) {
      const now = clock.now();
      const issued = now.toString(36);
      const secret = randomBytes(32).toString('base64url');
      const key = keyOf(accountId);
      await oneTime.put(key, digestOf(key, issued, secret), ttlMs, now);
      return `${accountId}.${issued}.${secret}`;
    },
    read(token) {
      const parsed = parse(token);
      return parsed && { accountId: parsed.accountId };
    },
    async live(token) {
      const parsed = parse(token);
      if (!parsed) return false;
      const key = keyOf(parsed.accountId);
      return oneTime.peek(key, digestOf(key, parsed.issued, parsed.secret), clock.now());
    },
    async redeem(token) {
      const parsed = parse(token);
      if (!parsed) return false;
      const key = keyOf(parsed.accountId);
      return oneTime.take(key, digestOf(key, parsed.issued, parsed.secret), clock.now());
    },
  };
}
