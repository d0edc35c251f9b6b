import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Mailer } from '../delivery/index.js';
import { AppError } from '../errors.js';
import type { FactorLimits } from '../factors/attempts.js';
import { CODE_TTL_MS, type OneTimeCodes } from '../factors/one-time-codes.js';
import type { Account, AccountStore } from '../store/ports.js';

export interface EmailVerification {
  /** Emails a new code to the account's address (the previous one stops working). Throws signup_send_throttled or delivery_failed. */
  sendCode(account: Account, ip: string): Promise<void>;
  /** Takes the code and marks the address verified. Throws wrong_code or signup_code_throttled. */
  verify(account: Account, code: string): Promise<void>;
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Confirms the login address of an account created without it (CLI, administrator) at its
 * first sign-in, after the password or passkey. The code is not a factor and adds no proof.
 * Security rules, as for sign-up codes: 6 digits, keyed hash only, 10 minutes, one per
 * account and address (a resend replaces it; a changed address makes it useless), taken
 * atomically; sends limited per account, address and IP, wrong codes per account across
 * flows (FactorLimits).
 */
export function createEmailVerification(deps: {
  accounts: AccountStore;
  codes: OneTimeCodes;
  limits: FactorLimits;
  mail: Mailer;
  logger: Pick<Logger, 'info'>;
}): EmailVerification {
  const { accounts, codes, limits, mail, logger } = deps;
  const codeKey = (account: Account) => `code:verify-email:${account.id}:${digest(account.email.toLowerCase())}`;
  /** FactorLimits' errors name factors; this code is none. */
  const asVerifyError = (error: unknown, code: 'signup_send_throttled' | 'signup_code_throttled') =>
    error instanceof AppError && error.status === 429 ? new AppError(code, 429, error.details) : error;

  return {
    async sendCode(account, ip) {
      try {
        await limits.reserveSend(account.id, account.email, ip);
      } catch (error) {
        throw asVerifyError(error, 'signup_send_throttled');
      }
      const code = await codes.issue(codeKey(account));
      await mail.send({ to: account.email, template: 'verification-code', data: { code, purpose: 'email-verification', minutes: CODE_TTL_MS / 60_000 } });
      logger.info({ event: 'email_verification.code_sent', accountId: account.id, ip });
    },

    async verify(account, code) {
      let ok: true | null;
      try {
        ok = await limits.attempt(account.id, 'verify-email', async () => ((await codes.consume(codeKey(account), code)) ? true : null));
      } catch (error) {
        throw asVerifyError(error, 'signup_code_throttled');
      }
      if (!ok) throw new AppError('wrong_code', 400);
      await accounts.markEmailVerified(account.id);
      logger.info({ event: 'email_verification.completed', accountId: account.id });
    },
  };
}
