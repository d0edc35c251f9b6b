import type { Context } from 'koa';
import type { SecurityNotifier } from '../accounts/security-notifier.js';
import { whereOf, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { isMultiFactor } from '../factors/assurance.js';
import type { FactorEnv, FactorModule } from '../factors/factor.js';
import { countryPrefixes } from '../factors/phone/numbers.js';
import type { FactorRegistry } from '../factors/registry.js';
import type { TwoFactorReset } from '../recovery/two-factor-reset.js';
import type { Account, AccountStore, Factor } from '../store/ports.js';
import { enrollableFor, recoveryUseful, signInProofs, transition, type FlowState, type Step } from './flow.js';
import { RECOVERY_METHODS, RECOVERY_TITLES } from './recovery-steps.js';
import { asStepError, type StepHandler, type StepKit, type StepPage } from './step-kit.js';
import type { FactsFor } from './flow-facts.js';

export const FACTOR_ACTIONS = {
  factor: 'factor',
  choose: 'choose_factor',
  'enrol-choose': 'enrol_required',
  enrol: 'enrol',
} as const satisfies Record<string, Step>;
export type FactorAction = keyof typeof FACTOR_ACTIONS;

const KIND_HINTS: Record<string, string> = {
  totp: 'A code from an app such as Google Authenticator or 1Password',
  webauthn: 'A security key, or your device’s fingerprint, face or PIN',
  phone: 'A code by text message or phone call',
  email: 'A code by email',
};

/** The account's factors as the flow sees them: the usable ones, and the facts the machine decides on. */

/**
 * The second-factor steps: answering a factor ("Two-factor authentication"), "Authenticate a
 * different way", and setting a method up while signing in (required by the client's acr, by
 * a support reset, or by the 2FA reset link). Each proof comes from the factor module's
 * atomic consumption; the machine (flow.ts) decides what it is worth.
 */
export function createFactorSteps<I>(
  deps: {
    registry: FactorRegistry;
    factsFor: FactsFor;
    accounts: Pick<AccountStore, 'setEnrolmentRequired'>;
    twoFactorReset: Pick<TwoFactorReset, 'complete'>;
    notifier: SecurityNotifier;
    audit: Audit;
    clock: Clock;
  },
  kit: StepKit<I>,
) {
  const { registry, factsFor, audit, clock } = deps;
  const { pending } = kit;

  const moduleFor = (kind: Factor['kind']): FactorModule => {
    const module = registry.module(kind);
    if (!module?.available()) throw new AppError('factor_unavailable', 400);
    return module;
  };

  const envFor = (ctx: Context, account: Account): FactorEnv => ({ account, ip: ctx.ip, now: clock.now() });

  /** The factor of a `factor` step, as configured now (removed since: the flow cannot go on). */
  const factorOf = async (state: FlowState, account: Account): Promise<Factor | undefined> =>
    (await registry.configuredFor(account)).find((f) => f.id === state.factorId);

  const notifyFactorAdded = (account: Account, detail: string, ctx: Context) =>
    deps.notifier.notify(account, 'factor-added', detail, { ip: ctx.ip, userAgent: ctx.get('user-agent') });

  return {
    /**
     * Entering a factor step sends its code (code factors) or makes its challenge; entering
     * an enrolment of a method with nothing to type first (an app's seed, a WebAuthn creation
     * challenge) starts it. The pending marks it done: a reload of the page does not repeat it.
     */
    async enter(ctx: Context, state: FlowState, account: Account): Promise<FlowState | undefined> {
      if (state.step === 'factor' && !state.pending && state.factorId) {
        const factor = await factorOf(state, account);
        if (!factor) return state;
        const challenge = await moduleFor(factor.kind).challenge(envFor(ctx, account), factor);
        return challenge.pending ? pending.seal(state, challenge.pending) : state;
      }
      if (state.step === 'enrol' && !state.pending && (state.enrolKind === 'totp' || state.enrolKind === 'webauthn')) {
        return pending.seal(state, await moduleFor(state.enrolKind).beginEnrolment(envFor(ctx, account), {}));
      }
      return undefined;
    },

    /** The page of a second-factor step, or undefined for other steps. */
    async view(ctx: Context, state: FlowState, account: Account, extra: Record<string, unknown>): Promise<StepPage | undefined> {
      switch (state.step) {
        case 'factor': {
          // Only the factor itself: the page needs none of the facts (recovery codes, backup method) factsFor also reads.
          const factor = await factorOf(state, account);
          if (!factor) throw new AppError('interaction_expired', 400);
          const module = moduleFor(factor.kind);
          return {
            page: 'factor',
            data: {
              title: 'Two-factor authentication',
              kind: factor.kind,
              description: module.describe(factor),
              view: await module.challengeView(envFor(ctx, account), factor, pending.open(state)),
              canResend: factor.kind === 'phone' || factor.kind === 'email',
              webauthn: factor.kind === 'webauthn',
            },
          };
        }
        case 'choose_factor': {
          const { factors, facts } = await factsFor(account);
          return {
            page: 'choose-factor',
            data: {
              title: 'Authenticate a different way',
              factors: factors.map((f) => ({ id: f.id, title: registry.module(f.kind)!.title, description: registry.module(f.kind)!.describe(f) })),
              recovery: RECOVERY_METHODS.filter((m) => recoveryUseful(m, state, facts)).map((method) => ({
                method,
                title: RECOVERY_TITLES[method],
                description: method === 'recovery_key' ? 'The long key you saved when you turned on two-factor authentication' : `${facts.recovery!.codes} left`,
              })),
              // Shown with or without one: without, the next page says "No backup method set up".
              backupMethod: facts.factors.length > 0,
            },
          };
        }
        case 'enrol_required': {
          const kinds = enrollableFor(state.requiredAcr, { factors: [], enrollable: registry.enrollable() }, state);
          const resetting = state.purpose === 'reset_2fa';
          return {
            page: 'enrol-choose',
            data: {
              title: resetting ? 'Set up 2-factor authentication again' : 'Protect your account',
              heading: resetting ? 'Set up 2-factor authentication again' : 'Protect your account',
              intro: resetting
                ? 'Choose the method to use from now on, on the same device or a new one. Your old methods are removed once the new one works.'
                : account.enrolmentRequired
                  ? 'Two-factor authentication was reset on your account. Choose a method to set it up again: you will use it with your password from now on.'
                  : undefined,
              kinds: kinds.map((kind) => ({ kind, title: registry.module(kind)!.title, hint: KIND_HINTS[kind] })),
            },
          };
        }
        case 'enrol': {
          const kind = state.enrolKind!;
          const open = pending.open(state);
          const module = moduleFor(kind);
          return {
            page: 'enrol',
            data: {
              title: module.title,
              heading: `Set up: ${module.title}`,
              kind,
              confirming: open !== undefined,
              view: open ? await module.enrolmentView(envFor(ctx, account), open) : {},
              countries: kind === 'phone' ? (await countryPrefixes()).map((c) => ({ ...c, selected: c.code === (extra.country ?? 'US') })) : undefined,
              email: account.email,
            },
          };
        }
        default:
          return undefined;
      }
    },

    handlers: {
      async factor(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        if (input.action === 'other') return kit.move(ctx, interaction, state, { type: 'choose_other' }, account);
        const factor = await factorOf(state, account);
        if (!factor) throw new AppError('interaction_expired', 400);
        const module = moduleFor(factor.kind);
        const env = envFor(ctx, account);
        try {
          if (input.action === 'resend') {
            const challenge = await module.challenge(env, factor);
            return kit.saveAndShow(ctx, interaction, challenge.pending ? pending.seal(state, challenge.pending) : state);
          }
          const proof = await module.verify(env, factor, input, pending.open(state));
          await kit.move(ctx, interaction, state, { type: 'factor_verified', proof }, account);
        } catch (caught) {
          const error = asStepError(caught);
          if (!error) throw caught;
          if (caught instanceof AppError && (caught.code === 'wrong_code' || caught.code === 'webauthn_failed')) {
            await audit.record(account.id, 'factor.failed', whereOf(ctx), module.describe(factor));
          }
          let shown = state;
          if (factor.kind === 'webauthn') {
            // A WebAuthn challenge is single use: answer the next try with a new one.
            const challenge = await module.challenge(env, factor);
            shown = challenge.pending ? pending.seal(state, challenge.pending) : state;
            await kit.save(interaction, shown);
          }
          await kit.render(ctx, interaction, shown, error);
        }
      },

      async choose(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        const { facts } = await factsFor(account);
        if (input.recovery === 'backup_method') return kit.settle(ctx, interaction, transition(state, { type: 'backup_chosen' }, facts));
        const method = RECOVERY_METHODS.find((m) => m === input.recovery);
        if (method) {
          if (!recoveryUseful(method, state, facts)) throw new AppError('bad_request', 400);
          return kit.settle(ctx, interaction, transition(state, { type: 'recovery_chosen', method }, facts));
        }
        if (!facts.factors.some((f) => f.id === input.factor_id)) throw new AppError('bad_request', 400);
        await kit.settle(ctx, interaction, transition(state, { type: 'factor_chosen', factorId: input.factor_id! }, facts));
      },

      async 'enrol-choose'(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        const { facts } = await factsFor(account);
        const kind = enrollableFor(state.requiredAcr, facts, state).find((k) => k === input.kind);
        if (!kind) throw new AppError('bad_request', 400);
        await kit.settle(ctx, interaction, transition(state, { type: 'enrol_chosen', kind }, facts));
      },

      async enrol(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        const module = moduleFor(state.enrolKind!);
        const env = envFor(ctx, account);
        if (input.action === 'back') return kit.move(ctx, interaction, state, { type: 'choose_other' }, account);
        try {
          if (input.action === 'restart') return kit.saveAndShow(ctx, interaction, { ...state, pending: undefined });
          if (input.action === 'begin') return kit.saveAndShow(ctx, interaction, pending.seal(state, await module.beginEnrolment(env, input)));
          const open = pending.open(state);
          if (input.action !== 'finish' || !open) throw new AppError('bad_request', 400);
          const { factor, proof } = await module.finishEnrolment(env, open, input);
          const described = module.describe(factor);
          await audit.record(account.id, 'factor.added', whereOf(ctx), `${described} (while signing in)`);
          if (state.purpose === 'reset_2fa') {
            // Only a new factor that makes two factors with the password ends the old ones (the
            // kinds offered were filtered so; this is the last word before nothing can be undone).
            if (!isMultiFactor([...signInProofs(state), proof])) {
              await registry.remove(account, factor.id);
              throw new AppError('bad_request', 400);
            }
            // The old factors go only now that the new one works: the reset never leaves 2FA off.
            await deps.twoFactorReset.complete(account, factor, described, whereOf(ctx));
          } else {
            if (account.enrolmentRequired) await deps.accounts.setEnrolmentRequired(account.id, false);
            await notifyFactorAdded(account, described, ctx);
          }
          await kit.move(ctx, interaction, state, { type: 'enrol_finished', proof }, account);
        } catch (caught) {
          const error = asStepError(caught);
          if (!error) throw caught;
          let shown = state;
          if (state.enrolKind === 'webauthn') {
            // Its creation challenge is single use: the next try gets a new one.
            shown = pending.seal(state, await module.beginEnrolment(env, {}));
            await kit.save(interaction, shown);
          }
          await kit.render(ctx, interaction, shown, error, { number: input.number, country: input.country });
        }
      },
    } satisfies Record<FactorAction, StepHandler<I>>,
  };
}
