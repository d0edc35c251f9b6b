import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { PasswordSignIn } from '../accounts/password-sign-in.js';
import type { SignUp } from '../accounts/sign-up.js';
import type { EmailVerification } from '../accounts/email-verification.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { FormInput } from '../factors/factor.js';
import type { FactorRegistry } from '../factors/registry.js';
import type { Proof } from '../factors/assurance.js';
import type { Csrf } from '../http/csrf.js';
import type { DeviceCookie } from '../http/device-cookie.js';
import type { Views } from '../http/views.js';
import { requiredAcr } from '../oidc/acr-policy.js';
import { ACR } from '../oidc/acr.js';
import { promptsCreate } from '../oidc/create-prompt.js';
import type { Account, AccountStore } from '../store/ports.js';
import type { Logger } from 'pino';
import { createPendingSeal, readFlowState, saveFlowState } from './flow-store.js';
import {
  loginResult,
  signInProofs,
  startSignIn,
  startSignUp,
  startStepUp,
  startTwoFactorReset,
  transition,
  type FlowEvent,
  type FlowState,
  type Step,
} from './flow.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { WebAuthnFactor } from '../factors/webauthn/factor.js';
import type { SecurityNotifier } from '../accounts/security-notifier.js';
import type { Subscriptions } from '../orgs/subscriptions.js';
import { createFactorSteps, FACTOR_ACTIONS } from './factor-steps.js';
import { createFlowFacts } from './flow-facts.js';
import { createPasswordSteps, PASSWORD_ACTIONS, passwordProof } from './password-steps.js';
import { createVerifyEmailSteps, VERIFY_EMAIL_ACTIONS } from './verify-email-steps.js';
import { createRecoverySteps, RECOVERY_ACTIONS } from './recovery-steps.js';
import { beforeAccount, createSignUpSteps, SIGNUP_ACTIONS } from './signup-steps.js';
import { asStepError, type StepError, type StepKit } from './step-kit.js';
import { createResetSteps, RESET_ACTIONS, type SignInBackupMethods } from './reset-steps.js';
import type { TwoFactorReset } from '../recovery/two-factor-reset.js';
import type { ResetLinkCookie } from '../recovery/reset-link-cookie.js';
import { whereOf, type Audit } from '../audit/audit.js';
import { CONSOLE_CLIENT_ID } from '../account/console-client.js';

/** Which step each POST action belongs to: a POST for another step than the current one is refused. */
export const ACTION_STEPS = {
  ...PASSWORD_ACTIONS,
  ...VERIFY_EMAIL_ACTIONS,
  ...FACTOR_ACTIONS,
  ...SIGNUP_ACTIONS,
  ...RECOVERY_ACTIONS,
  ...RESET_ACTIONS,
} as const satisfies Record<string, Step>;
export type Action = keyof typeof ACTION_STEPS;

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface SignInDispatcher {
  /** GET: renders the current step (starting the flow on first sight). */
  show(ctx: Context, interaction: Interaction): Promise<void>;
  /** POST: handles the current step's form, moves the machine, renders or finishes. */
  handle(ctx: Context, interaction: Interaction, action: Action): Promise<void>;
}

/** The steps' forms but the password's (password-steps.ts reads its own): short strings only (a WebAuthn response is the longest). */
const stepForm = z.record(z.string().max(64), z.string().max(8192));

/**
 * The one dispatcher of the sign-in flow: loads the state from the Interaction, turns a
 * POST into an event through the factor modules (each proof from an atomic consumption),
 * runs the pure machine, then saves, renders or hands `done` to node-oidc-provider.
 */
export function createSignInDispatcher(deps: {
  provider: Provider;
  views: Views;
  csrf: Csrf;
  passwords: PasswordSignIn;
  deviceCookie: DeviceCookie;
  accounts: AccountStore;
  registry: FactorRegistry;
  /** Passwordless sign-in with a passkey on the sign-in page (absent: not offered). */
  passkeys?: WebAuthnFactor;
  box: SecretBox;
  notifier: SecurityNotifier;
  /** Offers "Join a subscription" right after an account is created (absent: not offered). */
  subscriptions?: Pick<Subscriptions, 'requestToJoin'>;
  /** Create account (steps signup, signup_code, signup_taken). */
  signUp: SignUp;
  /** The emailed code an account with an unverified address answers first (step verify_email). */
  emailVerification: EmailVerification;
  /** "Use backup method" (recovery/backup-methods.ts). */
  backupMethods: SignInBackupMethods;
  /** The emailed link and the reset it leads to (recovery/two-factor-reset.ts). */
  twoFactorReset: TwoFactorReset;
  /** Carries an opened reset link to the flow it starts. */
  resetLink: ResetLinkCookie;
  audit: Audit;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
}): SignInDispatcher {
  const { provider, views, csrf, passwords, deviceCookie, accounts, registry, clock, logger } = deps;
  const pending = createPendingSeal(deps.box);

  const clientName = async (clientId: unknown) => {
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client?.clientName ?? client?.clientId ?? 'the application';
  };

  const accountOf = async (state: FlowState): Promise<Account> => {
    const account = state.accountId ? await accounts.findById(state.accountId) : null;
    if (!account || account.disabled) throw new AppError('interaction_expired', 400);
    return account;
  };

  const { factsFor, noFacts } = createFlowFacts({ registry, backupMethods: deps.backupMethods, offerJoin: deps.subscriptions !== undefined });

  /** The proofs a signed-in session already holds, for a step-up (only the password is carried over). */
  const sessionProofs = (interaction: Interaction, account: Account): Proof[] => {
    const amr = (interaction.session as { amr?: unknown } | undefined)?.amr;
    return Array.isArray(amr) && amr.includes('pwd') ? [passwordProof(account, clock.now())] : [];
  };

  /** The state of this interaction, starting the flow when there is none yet. */
  async function current(ctx: Context, interaction: Interaction): Promise<FlowState> {
    const stored = readFlowState(interaction as never);
    if (stored) return stored;
    const client = typeof interaction.params.client_id === 'string' ? await provider.Client.find(interaction.params.client_id) : undefined;
    const required = requiredAcr({
      acrValues: interaction.params.acr_values,
      claims: interaction.params.claims,
      defaultAcrValues: client?.metadata().default_acr_values,
    });
    if (required.kind === 'unsatisfiable') return { ...startSignIn(interaction.uid, undefined), step: 'unmet' };
    const requiredLevel = required.kind === 'level' ? required.acr : undefined;
    // An opened 2FA reset link starts the console sign-in it sent the browser to.
    const resetToken = interaction.params.client_id === CONSOLE_CLIENT_ID ? deps.resetLink.take(ctx) : null;
    const resetAccount = resetToken ? await deps.twoFactorReset.check(resetToken) : null;
    if (resetToken && resetAccount) {
      const state = pending.seal(startTwoFactorReset(interaction.uid, resetAccount.id, requiredLevel), { resetToken });
      await saveFlowState(interaction as never, state);
      return state;
    }
    const reasons = interaction.prompt.reasons;
    const accountId = interaction.session?.accountId;
    const stepUpOnly = accountId && requiredLevel && reasons.every((r) => r === 'acr_unmet');
    let state = interaction.prompt.name === 'create' ? startSignUp(interaction.uid, requiredLevel) : startSignIn(interaction.uid, requiredLevel);
    if (stepUpOnly) {
      const account = await accounts.findById(accountId);
      const proofs = account ? sessionProofs(interaction, account) : [];
      if (proofs.length && account && !account.disabled) {
        state = startStepUp(interaction.uid, accountId, proofs, requiredLevel, (await factsFor(account)).facts);
        state = await enter(ctx, state, account);
      }
    }
    state = await passwordSteps.offerPasskey(state);
    await saveFlowState(interaction as never, state);
    return state;
  }

  /**
   * Work that entering a step needs: a code factor sends its code, an authenticator app
   * enrolment gets its new seed. Failures (cannot send, too many sends) leave the state in
   * the step without a pending secret and are shown on its page.
   */
  async function enter(ctx: Context, state: FlowState, account: Account): Promise<FlowState> {
    const entered =
      (await verifyEmailSteps.enter(ctx, state, account)) ??
      (await factorSteps.enter(ctx, state, account)) ??
      (await resetSteps.enter(ctx, state, account)) ??
      (await recoverySteps.enter(ctx, state, account));
    return entered ?? state;
  }

  async function render(ctx: Context, interaction: Interaction, state: FlowState, error?: StepError, extra: Record<string, unknown> = {}) {
    const uid = interaction.uid;
    const base = { uid, csrf: csrf.token(ctx, uid), clientName: await clientName(interaction.params.client_id), error: error?.text };
    ctx.status = error?.status ?? 200;
    ctx.type = 'html';
    const hint = typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : undefined;
    const beforeAccountPage = (await passwordSteps.view(state, hint)) ?? signUpSteps.view(state, hint);
    const account = beforeAccountPage ? undefined : await accountOf(state);
    const stepPage =
      beforeAccountPage ??
      verifyEmailSteps.view(state, account!) ??
      (await factorSteps.view(ctx, state, account!, extra)) ??
      (await resetSteps.view(state, account!)) ??
      (await recoverySteps.view(state, account!, base.clientName));
    if (stepPage) {
      ctx.body = views.render(stepPage.page, { ...base, ...stepPage.data, ...extra });
      return;
    }
    throw new AppError('interaction_expired', 400);
  }

  /** Saves the new state and shows it, or ends the interaction when the machine is finished. */
  async function settle(ctx: Context, interaction: Interaction, state: FlowState) {
    if (state.step === 'done') {
      const login = loginResult(state);
      // A second factor was proven with a password set through a link (its proof carries the
      // inbox): the password is the owner's again. So it is when the account has no second
      // factor: then the password was all there was to trust.
      if (signInProofs(state).some((p) => p.method === 'pwd' && p.channel !== undefined)) {
        const trusted = login.acr !== ACR.singleFactor || !(await registry.hasEnrolled(await accountOf(state)));
        if (trusted) await accounts.confirmPassword(login.accountId);
      }
      await deps.audit.record(login.accountId, 'signin.completed', whereOf(ctx), `to ${await clientName(interaction.params.client_id)} with ${login.amr.join(', ')}`);
      // prompt=create is answered by this flow whichever way it ended (created, or signed in instead).
      const result = promptsCreate(interaction.params) ? { login, create: {} } : { login };
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }
    if (state.step === 'unmet') {
      logger.info({ event: 'signin.unmet', accountId: state.accountId, required: state.requiredAcr, ip: ctx.ip });
      const returnTo = await provider.interactionResult(
        ctx.req,
        ctx.res,
        { error: 'unmet_authentication_requirements', error_description: 'the requested authentication level cannot be reached for this account' },
        { mergeWithLastSubmission: false },
      );
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }
    let entered = state;
    let error: StepError | undefined;
    if (!beforeAccount(state.step)) {
      try {
        entered = await enter(ctx, state, await accountOf(state));
      } catch (caught) {
        error = asStepError(caught);
        if (!error) throw caught;
      }
    }
    await saveFlowState(interaction as never, entered);
    if (error) {
      await render(ctx, interaction, entered, error);
      return;
    }
    // Post/redirect/get: a reload never re-submits a code.
    ctx.status = 303;
    ctx.redirect(`/interaction/${interaction.uid}`);
  }

  async function move(ctx: Context, interaction: Interaction, state: FlowState, event: FlowEvent, account: Account) {
    const { facts } = await factsFor(account);
    await settle(ctx, interaction, transition(state, event, facts));
  }

  const kit: StepKit<Interaction> = {
    pending,
    accountOf,
    formInput: (ctx) => formInput(ctx),
    move,
    settle,
    render,
    save: (interaction, state) => saveFlowState(interaction as never, state),
    async saveAndShow(ctx, interaction, state) {
      await saveFlowState(interaction as never, state);
      ctx.status = 303;
      ctx.redirect(`/interaction/${interaction.uid}`);
    },
    async renderError(ctx, interaction, state, caught, extra) {
      const error = asStepError(caught);
      if (!error) throw caught;
      await render(ctx, interaction, state, error, extra);
    },
  };
  const passwordSteps = createPasswordSteps<Interaction>(
    { passwords, deviceCookie, accounts, passkeys: deps.passkeys, twoFactorReset: deps.twoFactorReset, clock, logger },
    kit,
  );
  const verifyEmailSteps = createVerifyEmailSteps<Interaction>({ emailVerification: deps.emailVerification, logger }, kit);
  const factorSteps = createFactorSteps<Interaction>(
    { registry, factsFor, accounts, twoFactorReset: deps.twoFactorReset, notifier: deps.notifier, audit: deps.audit, clock },
    kit,
  );
  const resetSteps = createResetSteps<Interaction>({ backupMethods: deps.backupMethods, reset: deps.twoFactorReset, audit: deps.audit }, kit);
  const recoverySteps = createRecoverySteps<Interaction>(
    {
      registry,
      notifier: deps.notifier,
      audit: deps.audit,
      hasBackupMethod: async (account) => (await deps.backupMethods.get(account.id)) !== null,
      issuer: provider.issuer,
      clock,
    },
    kit,
  );
  const signUpSteps = createSignUpSteps<Interaction>({ signUp: deps.signUp, subscriptions: deps.subscriptions, deviceCookie, noFacts, clock, logger }, kit);

  const handlers: Record<Action, (ctx: Context, interaction: Interaction, state: FlowState) => Promise<void>> = {
    ...passwordSteps.handlers,
    ...verifyEmailSteps.handlers,
    ...factorSteps.handlers,
    ...resetSteps.handlers,
    ...recoverySteps.handlers,
    ...signUpSteps.handlers,
  };

  const formInput = (ctx: Context): FormInput => {
    const parsed = stepForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    return parsed.data;
  };

  /**
   * A result was already handed to node-oidc-provider (a double click, a late parallel POST):
   * starting a new flow here would overwrite it, so the browser is sent on to where it goes.
   */
  const finished = (interaction: Interaction) => {
    const result = interaction.result as Record<string, unknown> | undefined;
    return result !== undefined && ('login' in result || 'error' in result);
  };
  const resume = (ctx: Context, interaction: Interaction) => {
    ctx.status = 303;
    ctx.redirect(interaction.returnTo);
  };

  return {
    async show(ctx, interaction) {
      if (finished(interaction)) return resume(ctx, interaction);
      let state = await current(ctx, interaction);
      if (state.step === 'done' || state.step === 'unmet') return settle(ctx, interaction, state);
      // Normally given when the flow starts (one save); again here if a step used it up.
      const offered = await passwordSteps.offerPasskey(state);
      if (offered !== state) await saveFlowState(interaction as never, (state = offered));
      await render(ctx, interaction, state);
    },
    async handle(ctx, interaction, action) {
      if (finished(interaction)) return resume(ctx, interaction);
      const state = await current(ctx, interaction);
      if (state.step === 'unmet') return settle(ctx, interaction, state);
      if (ACTION_STEPS[action] !== state.step) throw new AppError('step_mismatch', 409);
      await handlers[action](ctx, interaction, state);
    },
  };
}
