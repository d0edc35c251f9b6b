import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { normalizeEmail } from './password-sign-in.js';

export const DEVICE_TOKEN_MAX_AGE_MS = 180 * 24 * 60 * 60_000;
/** Accounts one browser is remembered for; the oldest is forgotten first. */
export const DEVICE_TOKENS_PER_BROWSER = 5;

const TOKEN = /^([A-Za-z0-9_-]{16})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

interface ParsedToken {
  token: string;
  accountTag: string;
  issuedAt: number;
  deviceId: string;
}

/**
 * Device tokens (OWASP "device cookies"): proof that this browser signed in to an account
 * before, so that failures from it can be counted apart from everyone else's.
 */
export interface DeviceTokens {
  /** A new token for the account signed in to with `email`. */
  issue(email: string): string;
  /** The device id of the valid, unexpired token for `email` among `tokens`, or null. */
  deviceFor(tokens: readonly string[], email: string): string | null;
  /**
   * What a browser keeps after signing in with `email`: a new token for that account first,
   * then its other valid tokens, at most DEVICE_TOKENS_PER_BROWSER.
   */
  afterSignIn(tokens: readonly string[], email: string): string[];
}

/**
 * Token: accountTag.issuedAt.deviceId.mac, where accountTag = HMAC(key, normalized email)
 * (binds the token to one account without revealing the email) and mac = HMAC(key, the rest).
 *
 * Security rule "a device token counts only for the account it was issued for": one whose
 * MAC does not verify, that is older than DEVICE_TOKEN_MAX_AGE_MS, or that was issued for
 * another account, is no device token at all.
 */
export function createDeviceTokens(deps: { key: Buffer; clock: Clock; maxAgeMs?: number }): DeviceTokens {
  const { key, clock, maxAgeMs = DEVICE_TOKEN_MAX_AGE_MS } = deps;
  const mac = (...parts: string[]) => createHmac('sha256', key).update(parts.join('\0')).digest('base64url');
  const accountTag = (email: string) => mac('account', normalizeEmail(email)).slice(0, 16);
  const equal = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

  const parse = (token: string): ParsedToken | null => {
    const match = TOKEN.exec(token);
    if (!match) return null;
    const [, tag, issued, deviceId, signature] = match as unknown as [string, string, string, string, string];
    if (!equal(signature, mac('device', tag, issued, deviceId))) return null;
    const issuedAt = parseInt(issued, 36);
    const now = clock.now();
    // A token from the future was not issued by this clock: refuse rather than keep it for ever.
    if (!(issuedAt <= now && now - issuedAt < maxAgeMs)) return null;
    return { token, accountTag: tag, issuedAt, deviceId };
  };

  const issue = (email: string) => {
    const tag = accountTag(email);
    const issued = clock.now().toString(36);
    const deviceId = randomBytes(16).toString('base64url');
    return [tag, issued, deviceId, mac('device', tag, issued, deviceId)].join('.');
  };

  return {
    issue,
    deviceFor(tokens, email) {
      const tag = accountTag(email);
      for (const token of tokens) {
        const parsed = parse(token);
        if (parsed && equal(parsed.accountTag, tag)) return parsed.deviceId;
      }
      return null;
    },
    afterSignIn(tokens, email) {
      const tag = accountTag(email);
      const others = tokens
        .map(parse)
        .filter((parsed): parsed is ParsedToken => parsed !== null && parsed.accountTag !== tag)
        .sort((a, b) => b.issuedAt - a.issuedAt)
        .map((parsed) => parsed.token);
      return [issue(email), ...new Set(others)].slice(0, DEVICE_TOKENS_PER_BROWSER);
    },
  };
}
