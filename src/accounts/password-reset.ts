import { createHash, randomUUID } from 'node:crypto';
import { createLinkTokens, LINK_PURPOSES, revokeLink } from '../crypto/link-tokens.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { Mailer } from '../delivery/index.js';
import { AppError } from '../errors.js';
import type { Account, AccountStore, CounterLimit, CounterStore, OneTimeStore } from '../store/ports.js';
import type { PasswordHasher } from './password.js';
import type { PasswordPolicy } from './password-policy.js';
import { normalizeEmail } from './password-sign-in.js';
import type { SecurityNotifier } from './security-notifier.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A reset link works once, for this long. */
export const RESET_LINK_TTL_MS = HOUR;

/**
 * Reset requests per address (whether or not it has an account) and per client IP. They
 * limit emails, never sign-in: the account is not locked by anyone asking for links.
 */
export const RESET_REQUEST_LIMITS = {
  email: { free: 5, waitsMs: [HOUR], ttlMs: HOUR },
  ip: { free: 20, waitsMs: [HOUR], ttlMs: HOUR },
} satisfies Record<string, CounterLimit>;


const emailSchema = z.email().max(320);
const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
const minutesUntil = (retryAt: number, now: number) => String(Math.max(1, Math.ceil((retryAt - now) / MINUTE)));

export interface PasswordReset {
  /** "Forgot password": the same answer, after the same work, whether or not the address has an account. */
  request(email: string, ip: string): Promise<void>;
  /** The account a link is for while it looks usable (well-formed, not expired by its own date, account active); uses nothing up. */
  check(token: string): Promise<Account | null>;
  /**
   * Sets the new password with the link: throws PasswordRefused (the link stays usable) or
   * reset_link_invalid. Every earlier sign-in of the account ends, and its owner is told.
   */
  complete(token: string, password: string, where: { ip: string; userAgent?: string }): Promise<Account>;
}

/**
 * Forgotten passwords. Security rules:
 * - "the answer does not reveal whether an address has an account": the same rate-limit
 *   reservations, one store lookup, one OneTimeStore write (under a decoy key for an
 *   unknown address) and one email (saying that no account uses the address) either way;
 * - "reset links are single use, for 1 hour, and only stored as keyed hashes": the token
 *   holds 32 random bytes; the OneTimeStore keeps HMAC(token) under the account's key (a
 *   new request replaces the previous link), and `take` lets exactly one use through, also
 *   under concurrency;
 * - "links point at the issuer": the mail templates build them from ISSUER, never from the
 *   request's Host header;
 * - "a reset never skips the second factor": it changes the password only; it does not sign
 *   anyone in, and the next sign-in goes through the whole flow;
 * - "a reset ends every session and token": AccountStore.updatePassword stamps
 *   sessionsValidAfter in the same write (enforced by oidc/sign-in-cutoff.ts);
 * - requests are limited per address and per IP (RESET_REQUEST_LIMITS), never the account.
 */
export function createPasswordReset(deps: {
  accounts: AccountStore;
  oneTime: OneTimeStore;
  counters: CounterStore;
  codeHasher: CodeHasher;
  hasher: PasswordHasher;
  passwords: PasswordPolicy;
  mail: Mailer;
  notifier: SecurityNotifier;
  audit: Pick<Audit, 'record'>;
  clock: Clock;
  logger: Pick<Logger, 'info'>;
}): PasswordReset {
  const { accounts, oneTime, counters, codeHasher, hasher, passwords, mail, notifier, audit, clock, logger } = deps;
  const links = createLinkTokens({ purpose: LINK_PURPOSES.passwordReset, ttlMs: RESET_LINK_TTL_MS, oneTime, hasher: codeHasher, clock });

  /** The token's account while the link may still work (its expiry is also the store's TTL). */
  const usable = async (token: string) => {
    const parsed = links.read(token);
    const account = parsed && (await accounts.findById(parsed.accountId));
    return account && !account.disabled ? account : null;
  };

  const reserve = async (key: string, limit: CounterLimit, now: number, taken: string[]) => {
    const reservation = await counters.reserve(key, now, limit);
    if (!reservation.ok) {
      await Promise.all(taken.map((k) => counters.release(k, now)));
      throw new AppError('reset_throttled', 429, { minutes: minutesUntil(reservation.retryAt, now) });
    }
    taken.push(key);
  };

  return {
    async request(typed, ip) {
      const email = normalizeEmail(typed);
      if (!emailSchema.safeParse(email).success) throw new AppError('invalid_email', 400);
      const now = clock.now();
      const taken: string[] = [];
      await reserve(`reset:ip:${digest(ip)}`, RESET_REQUEST_LIMITS.ip, now, taken);
      await reserve(`reset:email:${digest(email)}`, RESET_REQUEST_LIMITS.email, now, taken);

      const found = await accounts.findByEmail(email);
      const account = found && !found.disabled ? found : null;
      // A decoy id for an unknown address: the same write, under a key no link can name.
      const token = await links.issue(account?.id ?? randomUUID());
      const minutes = RESET_LINK_TTL_MS / MINUTE;
      const data = account ? { path: `/password/reset?token=${token}`, minutes } : { minutes };
      try {
        await mail.send({ to: account?.email ?? email, template: 'password-reset', data });
      } catch {
        throw new AppError('reset_delivery_failed', 503);
      }
      logger.info({ event: 'password.reset_requested', emailHash: digest(email), accountId: account?.id, ip });
    },

    async check(token) {
      return usable(token);
    },

    async complete(token, password, where) {
      const account = await usable(token);
      if (!account) throw new AppError('reset_link_invalid', 400);
      // Checked before the link is used up: a refused password keeps the link working.
      await passwords.check(password, [account.email, account.name ?? '']);
      const hash = await hasher.hash(password);
      if (!(await links.redeem(token))) throw new AppError('reset_link_invalid', 400);
      // Security rule "an inbox alone never passes as two factors": a password chosen through
      // the login inbox counts as that inbox until a sign-in proves a second factor with it,
      // and a 2FA reset link sent before (to the same inbox) dies with the old password.
      if (!(await accounts.updatePassword(account.id, hash, true))) throw new AppError('reset_link_invalid', 400);
      await revokeLink(oneTime, LINK_PURPOSES.twoFactorReset, account.id);
      await audit.record(account.id, 'password.reset', where, 'every earlier sign-in was ended');
      await notifier.notify(account, 'password-changed', undefined, where);
      // auth_time counts whole seconds and a sign-in in the second of the change is ended
      // too (sign-in-cutoff.ts): answer once that second is over, so that the sign-in this
      // answer leads to is never in it. Wall clock, as node-oidc-provider's.
      await sleep(1000 - (Date.now() % 1000) + 5);
      return account;
    },
  };
}
