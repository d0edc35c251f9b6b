import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { EmailVerification } from '../accounts/email-verification.js';
import { AppError } from '../errors.js';
import { typedCode } from '../factors/factor.js';
import type { Account } from '../store/ports.js';
import type { FlowState, Step } from './flow.js';
import { asStepError, type StepHandler, type StepKit, type StepPage } from './step-kit.js';

export const VERIFY_EMAIL_ACTIONS = { 'verify-email': 'verify_email' } as const satisfies Record<string, Step>;
export type VerifyEmailAction = keyof typeof VERIFY_EMAIL_ACTIONS;

/** "Confirm your email address": the emailed code an account with an unverified address answers after its password. */
export function createVerifyEmailSteps<I>(deps: { emailVerification: EmailVerification; logger: Pick<Logger, 'info'> }, kit: StepKit<I>) {
  const { emailVerification, logger } = deps;
  const { pending } = kit;

  return {
    /** Entering the step sends the code; the pending marks it sent, so a reload of the page never sends another. */
    async enter(ctx: Context, state: FlowState, account: Account): Promise<FlowState | undefined> {
      if (state.step !== 'verify_email' || state.pending) return undefined;
      await emailVerification.sendCode(account, ctx.ip);
      return pending.seal(state, { resent: false });
    },

    /** The page of the step, or undefined for other steps. */
    view(state: FlowState, account: Account): StepPage | undefined {
      if (state.step !== 'verify_email') return undefined;
      const open = pending.open(state);
      return { page: 'verify-email', data: { title: 'Confirm your email address', email: account.email, sent: open !== undefined, resent: open?.resent === true } };
    },

    handlers: {
      async 'verify-email'(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        try {
          if (input.action === 'resend') {
            await emailVerification.sendCode(account, ctx.ip);
            return kit.saveAndShow(ctx, interaction, pending.seal(state, { resent: true }));
          }
          await emailVerification.verify(account, typedCode(input));
          await kit.move(ctx, interaction, state, { type: 'email_verified' }, { ...account, emailVerified: true });
        } catch (caught) {
          const error = asStepError(caught);
          if (!error) throw caught;
          if (caught instanceof AppError && caught.code === 'wrong_code') logger.info({ event: 'email_verification.failed', accountId: account.id, ip: ctx.ip });
          await kit.render(ctx, interaction, state, error);
        }
      },
    } satisfies Record<VerifyEmailAction, StepHandler<I>>,
  };
}
