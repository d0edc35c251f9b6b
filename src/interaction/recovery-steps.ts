import type { Context } from 'koa';
import type { SecurityNotifier } from '../accounts/security-notifier.js';
import { whereOf, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { LOW_CODES, type RecoverySecrets } from '../factors/recovery/recovery-codes.js';
import type { FactorRegistry } from '../factors/registry.js';
import { message } from '../messages.js';
import type { Account } from '../store/ports.js';
import type { FlowState, RecoveryMethod, Step } from './flow.js';
import { recoveryCodesView, sendRecoveryFile } from './recovery-page.js';
import type { StepHandler, StepKit, StepPage } from './step-kit.js';

export const RECOVERY_TITLES: Record<RecoveryMethod, string> = { recovery_key: 'Use recovery key', backup_code: 'Use a backup code' };
export const RECOVERY_METHODS: readonly RecoveryMethod[] = ['recovery_key', 'backup_code'];

export const RECOVERY_ACTIONS = {
  recovery: 'recovery',
  'recovery-notice': 'recovery_notice',
  'recovery-codes': 'show_recovery_codes',
} as const satisfies Record<string, Step>;
export type RecoveryAction = keyof typeof RECOVERY_ACTIONS;

/** The pending of step show_recovery_codes: the set just made, shown until it is acknowledged. */
const pendingSecrets = (open: Record<string, unknown> | undefined): RecoverySecrets | undefined =>
  open && typeof open.recoveryKey === 'string' && Array.isArray(open.codes) && open.codes.every((c) => typeof c === 'string')
    ? { recoveryKey: open.recoveryKey, codes: open.codes as string[] }
    : undefined;

/**
 * The recovery key and backup codes in the sign-in flow: "Use recovery key" / "Use a backup
 * code" (step recovery, each use one atomic consumption, emailed and audited), what is left
 * afterwards (recovery_notice), and a new set shown once (show_recovery_codes: when 2FA is
 * turned on, or as the replacement of a used recovery key).
 */
export function createRecoverySteps<I extends { uid: string }>(
  deps: {
    registry: FactorRegistry;
    notifier: SecurityNotifier;
    audit: Audit;
    /** Whether to suggest a backup method next to a new set. */
    hasBackupMethod: (account: Account) => Promise<boolean>;
    issuer: string;
    clock: Clock;
  },
  kit: StepKit<I>,
) {
  const { registry, audit, clock } = deps;
  const { pending } = kit;

  return {
    /**
     * A new recovery set, stored when its step is entered (so it works even if the page is
     * left), its plain values sealed in the flow until they are acknowledged.
     */
    async enter(ctx: Context, state: FlowState, account: Account): Promise<FlowState | undefined> {
      if (state.step !== 'show_recovery_codes' || pending.open(state)) return undefined;
      const recovery = registry.recovery();
      if (!recovery) return state;
      const secrets = recovery.generate();
      await recovery.install(account.id, secrets, clock.now());
      await audit.record(account.id, 'recovery_codes.issued', whereOf(ctx), 'while signing in');
      return pending.seal(state, { ...secrets });
    },

    /** The page of a recovery step, or undefined for other steps. */
    async view(state: FlowState, account: Account, clientName: string): Promise<StepPage | undefined> {
      switch (state.step) {
        case 'recovery':
          return { page: 'recovery', data: { title: RECOVERY_TITLES[state.recoveryMethod!], recoveryKey: state.recoveryMethod === 'recovery_key' } };
        case 'recovery_notice': {
          const left = (await registry.recovery()?.remaining(account.id)) ?? { codes: 0, key: false };
          return {
            page: 'recovery-notice',
            data: { title: 'You are signed in', usedKey: state.recoveryMethod === 'recovery_key', codesLeft: left.codes, low: left.codes <= LOW_CODES },
          };
        }
        case 'show_recovery_codes': {
          const secrets = pendingSecrets(pending.open(state));
          if (!secrets) throw new AppError('interaction_expired', 400);
          // After the recovery key was used: its replacement (and new backup codes), not 2FA being turned on.
          const replaced = state.recoveryMethod === 'recovery_key';
          return {
            page: 'recovery-codes',
            data: {
              title: 'Save your recovery key and backup codes',
              ...recoveryCodesView(secrets),
              action: `/interaction/${state.uid}/recovery-codes`,
              replaced,
              finish: replaced ? `Continue to ${clientName}` : 'Enable Two Factor',
              backupHint: !(await deps.hasBackupMethod(account)),
            },
          };
        }
        default:
          return undefined;
      }
    },

    handlers: {
      async recovery(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        if (input.action === 'other') return kit.move(ctx, interaction, state, { type: 'choose_other' }, account);
        const recovery = registry.recovery();
        const method = state.recoveryMethod;
        if (!recovery || !method) throw new AppError('interaction_expired', 400);
        try {
          const { proof, remaining } = await recovery.verify(account.id, method, input.code ?? '', clock.now());
          await audit.record(account.id, 'factor.recovery_used', whereOf(ctx), method === 'recovery_key' ? 'recovery key' : `backup code (${remaining} left)`);
          const detail =
            method === 'recovery_key'
              ? 'your recovery key (a new recovery key and new backup codes were made; the old ones no longer work)'
              : `a backup code (${remaining} left${remaining <= LOW_CODES ? ': make new ones soon' : ''})`;
          await deps.notifier.notify(account, 'recovery-code-used', detail, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
          await kit.move(ctx, interaction, state, { type: 'factor_verified', proof }, account);
        } catch (caught) {
          if (caught instanceof AppError && caught.code === 'wrong_recovery_code') {
            await audit.record(account.id, 'factor.failed', whereOf(ctx), method === 'recovery_key' ? 'recovery key' : 'backup code');
          }
          await kit.renderError(ctx, interaction, state, caught);
        }
      },

      async 'recovery-notice'(ctx: Context, interaction: I, state: FlowState) {
        kit.formInput(ctx);
        await kit.move(ctx, interaction, state, { type: 'notice_seen' }, await kit.accountOf(state));
      },

      async 'recovery-codes'(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        const secrets = pendingSecrets(pending.open(state));
        const recovery = registry.recovery();
        if (!secrets || !recovery) throw new AppError('interaction_expired', 400);
        if (input.action === 'download') {
          sendRecoveryFile(ctx, recovery.textFile(secrets, deps.issuer, account.email));
          return;
        }
        // Nothing is lost without the tick: the same codes are shown again.
        if (input.saved !== 'yes') {
          await kit.render(ctx, interaction, state, { status: 400, text: message('recovery_not_saved') });
          return;
        }
        await kit.move(ctx, interaction, state, { type: 'recovery_codes_saved' }, account);
      },
    } satisfies Record<RecoveryAction, StepHandler<I>>,
  };
}
