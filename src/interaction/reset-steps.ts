import type { Context } from 'koa';
import type { Audit } from '../audit/audit.js';
import { whereOf } from '../audit/audit.js';
import { maskEmail } from '../delivery/redact.js';
import { AppError } from '../errors.js';
import { isMultiFactor, type Proof } from '../factors/assurance.js';
import { typedCode } from '../factors/factor.js';
import type { Account, BackupMethod } from '../store/ports.js';
import { TWO_FACTOR_RESET_LINK_TTL_MS, type TwoFactorReset } from '../recovery/two-factor-reset.js';
import type { StepHandler, StepKit, StepPage } from './step-kit.js';
import type { FlowState, Step } from './flow.js';

/** The backup method as the sign-in flow uses it (recovery/backup-methods.ts). */
export interface SignInBackupMethods {
  get(accountId: string): Promise<BackupMethod | null>;
  describe(method: BackupMethod): string;
  sendSignInCode(account: Account, method: BackupMethod, ip: string): Promise<void>;
  verifySignInCode(account: Account, method: BackupMethod, code: string): Promise<Proof>;
}

export const RESET_ACTIONS = {
  backup: 'backup_method',
  'no-backup': 'no_backup_method',
  'reset-offer': 'reset_offer',
  'reset-email': 'reset_email',
  'reset-sent': 'reset_sent',
} as const satisfies Record<string, Step>;
export type ResetAction = keyof typeof RESET_ACTIONS;

/**
 * "Use backup method" and the 2FA reset offer, the seed's journey: a code to the backup
 * phone or email → "Remove the device and add new one" → "Send 2-factor authentication
 * email". Security rule "email alone never passes as two factors": the backup code is a
 * proof for the reset only (purpose reset_2fa, never counted toward signing in), reached
 * after the password; the emailed link then needs the password again (flow purpose
 * reset_2fa), so password + backup destination + login inbox are all proven.
 */
export function createResetSteps<I>(deps: { backupMethods: SignInBackupMethods; reset: TwoFactorReset; audit: Audit }, kit: StepKit<I>) {
  const { backupMethods, reset, audit } = deps;
  const { pending } = kit;

  const methodOf = async (account: Account): Promise<BackupMethod> => {
    const method = await backupMethods.get(account.id);
    // Removed since the step began (support reset it): the flow cannot go on here.
    if (!method) throw new AppError('interaction_expired', 400);
    return method;
  };

  const minutes = TWO_FACTOR_RESET_LINK_TTL_MS / 60_000;

  return {
    /** Entering backup_method sends its code (once: the pending marks it sent, so a reload sends nothing). */
    async enter(ctx: Context, state: FlowState, account: Account): Promise<FlowState | undefined> {
      if (state.step !== 'backup_method' || state.pending) return undefined;
      await backupMethods.sendSignInCode(account, await methodOf(account), ctx.ip);
      return pending.seal(state, { sent: true });
    },

    /** The page of a reset step, or undefined for other steps. */
    async view(state: FlowState, account: Account): Promise<StepPage | undefined> {
      switch (state.step) {
        case 'backup_method': {
          const method = await methodOf(account);
          return { page: 'backup-method', data: { title: 'Use backup method', description: backupMethods.describe(method), sent: pending.open(state)?.sent === true } };
        }
        case 'no_backup_method':
          return { page: 'no-backup-method', data: { title: 'No backup method set up' } };
        case 'reset_offer':
          return { page: 'reset-offer', data: { title: 'You have verified your identity' } };
        case 'reset_email':
          return { page: 'reset-email', data: { title: 'Set up 2-factor authentication again', maskedEmail: maskEmail(account.email), minutes } };
        case 'reset_sent':
          return { page: 'reset-sent', data: { title: 'Check your email', maskedEmail: maskEmail(account.email), minutes } };
        default:
          return undefined;
      }
    },

    handlers: {
      async backup(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        if (input.action === 'other') return kit.move(ctx, interaction, state, { type: 'choose_other' }, account);
        try {
          const method = await methodOf(account);
          if (input.action === 'resend') {
            await backupMethods.sendSignInCode(account, method, ctx.ip);
            return kit.saveAndShow(ctx, interaction, pending.seal(state, { sent: true }));
          }
          const proof = await backupMethods.verifySignInCode(account, method, typedCode(input));
          await audit.record(account.id, 'backup_method.used', whereOf(ctx), backupMethods.describe(method));
          // Two inboxes are one factor: a password set through the login inbox and a backup email open no reset.
          if (!isMultiFactor([...state.proofs.filter((p) => p.method === 'pwd'), proof])) throw new AppError('backup_not_enough', 400);
          await kit.move(ctx, interaction, state, { type: 'backup_verified', proof: { ...proof, purpose: 'reset_2fa' } }, account);
        } catch (caught) {
          if (caught instanceof AppError && caught.code === 'wrong_code') await audit.record(account.id, 'factor.failed', whereOf(ctx), 'backup method code');
          await kit.renderError(ctx, interaction, state, caught);
        }
      },

      async 'no-backup'(ctx: Context, interaction: I, state: FlowState) {
        kit.formInput(ctx);
        await kit.move(ctx, interaction, state, { type: 'choose_other' }, await kit.accountOf(state));
      },

      async 'reset-offer'(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        await kit.move(ctx, interaction, state, { type: input.action === 'reset' ? 'reset_chosen' : 'choose_other' }, account);
      },

      async 'reset-email'(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        if (input.action !== 'send') return kit.move(ctx, interaction, state, { type: 'choose_other' }, account);
        await send(ctx, interaction, state, account);
      },

      async 'reset-sent'(ctx: Context, interaction: I, state: FlowState) {
        kit.formInput(ctx);
        await send(ctx, interaction, state, await kit.accountOf(state));
      },
    } satisfies Record<ResetAction, StepHandler<I>>,
  };

  /** Only a flow that proved the backup method (after the password) may send the link. */
  async function send(ctx: Context, interaction: I, state: FlowState, account: Account) {
    const proven = state.proofs.some((p) => p.purpose === 'reset_2fa') && state.proofs.some((p) => p.method === 'pwd') && isMultiFactor(state.proofs.map(({ purpose: _, ...p }) => p));
    if (!proven) throw new AppError('interaction_expired', 400);
    try {
      await reset.sendLink(account, whereOf(ctx));
    } catch (caught) {
      return kit.renderError(ctx, interaction, state, caught);
    }
    await kit.move(ctx, interaction, state, { type: 'reset_email_sent' }, account);
  }
}
