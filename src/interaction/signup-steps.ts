import type { Context } from 'koa';
import type { Logger } from 'pino';
import { PasswordRefused } from '../accounts/password-policy.js';
import { parsePendingSignUp, type SignUp } from '../accounts/sign-up.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Proof } from '../factors/assurance.js';
import { typedCode } from '../factors/factor.js';
import type { DeviceCookie } from '../http/device-cookie.js';
import { message } from '../messages.js';
import type { Subscriptions } from '../orgs/subscriptions.js';
import { transition, type FlowFacts, type FlowState, type Step } from './flow.js';
import { asStepError, type StepHandler, type StepKit, type StepPage } from './step-kit.js';

export const SIGNUP_ACTIONS = {
  'signup-start': 'password',
  signup: 'signup',
  'signup-code': 'signup_code',
  'signup-taken': 'signup_taken',
  join: 'join_offer',
} as const satisfies Record<string, Step>;
export type SignUpAction = keyof typeof SIGNUP_ACTIONS;

/** Steps that come before the flow knows an account. */
export const beforeAccount = (step: Step): boolean => step === 'password' || step === 'signup' || step === 'signup_code' || step === 'signup_taken';

/**
 * "Create account" inside the sign-in flow (steps signup, signup_code, signup_taken) and
 * the optional "Join a subscription" right after. The rules live in accounts/sign-up.ts:
 * nothing before the code reveals whether an address has an account.
 */
export function createSignUpSteps<I extends { uid: string }>(
  deps: {
    signUp: SignUp;
    /** Offers "Join a subscription" right after an account is created (absent: not offered). */
    subscriptions?: Pick<Subscriptions, 'requestToJoin'>;
    deviceCookie: DeviceCookie;
    /** Facts for events that need none (the sign-up steps come before any account). */
    noFacts: () => FlowFacts;
    clock: Clock;
    logger: Pick<Logger, 'info'>;
  },
  kit: StepKit<I>,
) {
  const { signUp, noFacts, pending } = { ...deps, pending: kit.pending };

  return {
    /** The page of a sign-up step, or undefined for other steps. */
    view(state: FlowState, loginHint: string | undefined): StepPage | undefined {
      switch (state.step) {
        case 'signup':
          return { page: 'signup', data: { title: 'Create account', email: loginHint } };
        case 'signup_code': {
          const open = pending.open(state);
          const pendingSignUp = parsePendingSignUp(open);
          if (!pendingSignUp) throw new AppError('interaction_expired', 400);
          return { page: 'signup-code', data: { title: 'Enter code', email: pendingSignUp.email, resent: open?.resent === true } };
        }
        case 'signup_taken': {
          const email = pending.open(state)?.email;
          return { page: 'signup-taken', data: { title: 'This email address is already in use', text: message('email_in_use', { email: String(email ?? '') }) } };
        }
        case 'join_offer':
          return { page: 'join-offer', data: { title: 'Join a subscription' } };
        default:
          return undefined;
      }
    },

    handlers: {
      async 'signup-start'(ctx: Context, interaction: I, state: FlowState) {
        kit.formInput(ctx);
        await kit.settle(ctx, interaction, transition(state, { type: 'signup_started' }, noFacts()));
      },

      async signup(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        if (input.action === 'cancel') return kit.settle(ctx, interaction, transition(state, { type: 'signup_cancelled' }, noFacts()));
        const form = { name: input.name ?? '', email: input.email ?? '', password: input.password ?? '' };
        try {
          const prepared = await signUp.prepare(form);
          await signUp.sendCode(interaction.uid, prepared, ctx.ip);
          // The pending sign-up (the hash, never the password) is sealed to this interaction and step.
          await kit.settle(ctx, interaction, pending.seal(transition(state, { type: 'signup_code_sent' }, noFacts()), { ...prepared }));
        } catch (caught) {
          const strength = caught instanceof PasswordRefused ? caught.assessment : undefined;
          await kit.renderError(ctx, interaction, state, caught, { name: form.name, email: form.email, strength, passwordError: Boolean(strength) });
        }
      },

      async 'signup-code'(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        if (input.action === 'cancel') return kit.settle(ctx, interaction, transition(state, { type: 'signup_cancelled' }, noFacts()));
        const pendingSignUp = parsePendingSignUp(pending.open(state));
        if (!pendingSignUp) throw new AppError('interaction_expired', 400);
        try {
          if (input.action === 'resend') {
            await signUp.sendCode(interaction.uid, pendingSignUp, ctx.ip);
            return kit.saveAndShow(ctx, interaction, pending.seal(state, { ...pendingSignUp, resent: true }));
          }
          const outcome = await signUp.complete(interaction.uid, pendingSignUp, typedCode(input));
          if (outcome.outcome === 'taken') {
            deps.logger.info({ event: 'signup.email_in_use', ip: ctx.ip });
            await kit.settle(ctx, interaction, pending.seal(transition(state, { type: 'signup_email_taken' }, noFacts()), { email: pendingSignUp.email }));
            return;
          }
          deps.deviceCookie.remember(ctx, pendingSignUp.email);
          const proof: Proof = { method: 'pwd', at: deps.clock.now() };
          await kit.move(ctx, interaction, state, { type: 'signup_verified', accountId: outcome.account.id, proof }, outcome.account);
        } catch (caught) {
          await kit.renderError(ctx, interaction, state, caught);
        }
      },

      async 'signup-taken'(ctx: Context, interaction: I, state: FlowState) {
        kit.formInput(ctx);
        await kit.settle(ctx, interaction, transition(state, { type: 'signup_cancelled' }, noFacts()));
      },

      async join(ctx: Context, interaction: I, state: FlowState) {
        const input = kit.formInput(ctx);
        const account = await kit.accountOf(state);
        if (input.action !== 'skip') {
          try {
            if (!deps.subscriptions) throw new AppError('not_found', 404);
            await deps.subscriptions.requestToJoin(account, { identifier: (input.identifier ?? '').trim(), ownerEmail: (input.owner_email ?? '').trim() });
          } catch (caught) {
            if (!asStepError(caught)) throw caught;
            await kit.renderError(ctx, interaction, state, caught, { identifier: input.identifier, ownerEmail: input.owner_email });
            return;
          }
        }
        await kit.move(ctx, interaction, state, { type: 'join_done' }, account);
      },
    } satisfies Record<SignUpAction, StepHandler<I>>,
  };
}
