import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Mailer } from '../delivery/index.js';
import { AppError } from '../errors.js';
import type { FactorLimits } from '../factors/attempts.js';
import { CODE_TTL_MS, type OneTimeCodes } from '../factors/one-time-codes.js';
import { DuplicateError, type Account, type AccountStore } from '../store/ports.js';
import type { PasswordHasher } from './password.js';
import type { PasswordPolicy } from './password-policy.js';
import { normalizeEmail } from './password-sign-in.js';

export const NAME_MAX_LENGTH = 100;

/** What the sign-up form gave, checked and with the password already hashed: sealed in the flow state until the code is entered. */
export interface PendingSignUp {
  name: string;
  email: string;
  passwordHash: string;
}

export type SignUpOutcome = { outcome: 'created'; account: Account } | { outcome: 'taken' };

export interface SignUp {
  /** Checks the form and hashes the password; stores nothing. Throws AppError (invalid_name, invalid_email) or PasswordRefused. */
  prepare(form: { name: string; email: string; password: string }): Promise<PendingSignUp>;
  /** Emails a new code for this flow (the previous one stops working), whether or not the address has an account. */
  sendCode(flowId: string, pending: PendingSignUp, ip: string): Promise<void>;
  /** Takes the code and creates the account (email verified), or finds the address in use. Throws wrong_code or signup_code_throttled. */
  complete(flowId: string, pending: PendingSignUp, code: string): Promise<SignUpOutcome>;
}

const emailSchema = z.email().max(320);
const pendingSchema = z.object({ name: z.string(), email: z.string(), passwordHash: z.string() });
// Control characters would end up in ID tokens and emails.
const CONTROL = /\p{Cc}/u;

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Reads the sealed pending sign-up back (a stale or foreign shape is no sign-up). */
export function parsePendingSignUp(value: unknown): PendingSignUp | undefined {
  const parsed = pendingSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Account creation with an emailed code. Security rules:
 * - "an address that has an account is not revealed to someone without its inbox": the
 *   form, the hashing, the store lookups, the send and the page are the same whether or
 *   not it is in use (the owner's email says so); only the right code leads to the
 *   "already in use" answer;
 * - "nothing stored half-way": the account is written once, after the code, with the
 *   password hashed before it was ever sealed in the flow state (never the password);
 * - codes: 6 digits, keyed hash only, 10 minutes, one per flow and address (a resend
 *   replaces it), taken atomically; sends limited per address and IP, wrong codes per
 *   address across flows (FactorLimits, keyed by a digest of the address).
 */
export function createSignUp(deps: {
  accounts: AccountStore;
  hasher: PasswordHasher;
  passwords: PasswordPolicy;
  codes: OneTimeCodes;
  limits: FactorLimits;
  mail: Mailer;
  logger: Pick<Logger, 'info'>;
}): SignUp {
  const { accounts, hasher, passwords, codes, limits, mail, logger } = deps;
  /** Stands in for the account id in FactorLimits keys: the address, never stored in clear. */
  const subjectOf = (email: string) => `signup:${digest(email)}`;
  const codeKey = (flowId: string, email: string) => `code:signup:${flowId}:${digest(email)}`;
  /** FactorLimits' errors name factors; sign-up has none. */
  const asSignUpError = (error: unknown, code: 'signup_send_throttled' | 'signup_code_throttled') =>
    error instanceof AppError && error.status === 429 ? new AppError(code, 429, error.details) : error;

  return {
    async prepare(form) {
      const name = form.name.trim();
      if (!name || [...name].length > NAME_MAX_LENGTH || CONTROL.test(name)) throw new AppError('invalid_name', 400);
      const email = normalizeEmail(form.email);
      if (!emailSchema.safeParse(email).success) throw new AppError('invalid_email', 400);
      await passwords.check(form.password, [email, name]);
      return { name, email, passwordHash: await hasher.hash(form.password) };
    },

    async sendCode(flowId, pending, ip) {
      try {
        await limits.reserveSend(subjectOf(pending.email), pending.email, ip);
      } catch (error) {
        throw asSignUpError(error, 'signup_send_throttled');
      }
      const existing = await accounts.findByEmail(pending.email);
      const code = await codes.issue(codeKey(flowId, pending.email));
      await mail.send({
        to: pending.email,
        template: 'verification-code',
        data: { code, purpose: existing ? 'sign-up-existing' : 'sign-up', minutes: CODE_TTL_MS / 60_000 },
      });
      logger.info({ event: 'signup.code_sent', emailHash: digest(pending.email), ip });
    },

    async complete(flowId, pending, code) {
      let ok: true | null;
      try {
        ok = await limits.attempt(subjectOf(pending.email), 'signup-code', async () => ((await codes.consume(codeKey(flowId, pending.email), code)) ? true : null));
      } catch (error) {
        throw asSignUpError(error, 'signup_code_throttled');
      }
      if (!ok) throw new AppError('wrong_code', 400);
      if (await accounts.findByEmail(pending.email)) return { outcome: 'taken' };
      try {
        const account = await accounts.create({ email: pending.email, name: pending.name, emailVerified: true, passwordHash: pending.passwordHash });
        logger.info({ event: 'signup.completed', accountId: account.id });
        return { outcome: 'created', account };
      } catch (error) {
        // Another sign-up of the same address finished first.
        if (error instanceof DuplicateError) return { outcome: 'taken' };
        throw error;
      }
    },
  };
}
