import type { Context } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { PasswordSignIn } from '../accounts/password-sign-in.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Proof } from '../factors/assurance.js';
import type { WebAuthnFactor, WebAuthnPending } from '../factors/webauthn/factor.js';
import type { DeviceCookie } from '../http/device-cookie.js';
import { message } from '../messages.js';
import type { TwoFactorReset } from '../recovery/two-factor-reset.js';
import type { Account, AccountStore } from '../store/ports.js';
import type { FlowState, Step } from './flow.js';
import { asStepError, type StepHandler, type StepKit, type StepPage } from './step-kit.js';

export const PASSWORD_ACTIONS = {
  login: 'password',
  passkey: 'password',
} as const satisfies Record<string, Step>;
export type PasswordAction = keyof typeof PASSWORD_ACTIONS;

const loginForm = z.object({ email: z.string().max(320).default(''), password: z.string().max(1024).default('') });

/**
 * The proof of a password just checked. Security rule "an inbox alone never passes as two
 * factors": a password set through an emailed link, not yet confirmed by a sign-in with a
 * second factor, is the login inbox (assurance.ts), so an email code to that inbox (or to
 * any inbox) does not make it 2FA.
 */
export function passwordProof(account: Account, now: number): Proof {
  return account.passwordFromLink ? { method: 'pwd', channel: account.email.toLowerCase(), at: now } : { method: 'pwd', at: now };
}

/**
 * The password step: "Sign in" (email and password, or "Sign in with a passkey"), and the
 * password the 2FA reset link asks for again before the new method is set up.
 */
export function createPasswordSteps<I>(
  deps: {
    passwords: PasswordSignIn;
    deviceCookie: DeviceCookie;
    accounts: Pick<AccountStore, 'findById'>;
    /** Passwordless sign-in with a passkey on the sign-in page (absent: not offered). */
    passkeys?: WebAuthnFactor;
    twoFactorReset: Pick<TwoFactorReset, 'redeem'>;
    clock: Clock;
    logger: Pick<Logger, 'info'>;
  },
  kit: StepKit<I>,
) {
  const { passwords, deviceCookie, passkeys, clock, logger } = deps;
  const { pending } = kit;

  /**
   * The throttled password check both password pages share (sign-in and the reset link):
   * the account, with this browser remembered for it; or the page again with why not.
   */
  async function checkPassword(
    ctx: Context,
    interaction: I,
    state: FlowState,
    form: { email: string; password: string },
    wrong: 'invalid_credentials' | 'two_factor_reset_password',
  ): Promise<Account | undefined> {
    const { email, password } = form;
    const result = await passwords.verify({ email, password, clientIp: ctx.ip, deviceId: deviceCookie.deviceFor(ctx, email), userAgent: ctx.get('user-agent') || undefined });
    if (!result.ok) {
      const error =
        result.reason === 'throttled'
          ? { status: 429, text: message('throttled', { minutes: String(Math.max(1, Math.ceil((result.retryAt - clock.now()) / 60_000))) }) }
          : { status: 401, text: message(wrong) };
      await kit.render(ctx, interaction, state, error, { email });
      return undefined;
    }
    deviceCookie.remember(ctx, email);
    return result.account;
  }

  /**
   * The reset link's password step: the link's account only (the email field is not read),
   * throttled like every sign-in; the link is used up only once the password is right, so
   * a typo does not burn it, and exactly one request uses it.
   */
  async function resetPassword(ctx: Context, interaction: I, state: FlowState, password: string) {
    const account = await kit.accountOf(state);
    const token = pending.open(state)?.resetToken;
    if (typeof token !== 'string') throw new AppError('interaction_expired', 400);
    const checked = await checkPassword(ctx, interaction, state, { email: account.email, password }, 'two_factor_reset_password');
    if (!checked) return;
    if (checked.id !== account.id || !(await deps.twoFactorReset.redeem(token))) throw new AppError('two_factor_link_invalid', 400);
    await kit.move(ctx, interaction, state, { type: 'password_verified', accountId: account.id, proof: passwordProof(checked, clock.now()) }, checked);
  }

  return {
    /** The sign-in page offers "Sign in with a passkey": it needs a fresh discoverable-credential challenge. */
    async offerPasskey(state: FlowState): Promise<FlowState> {
      if (state.step !== 'password' || !passkeys || pending.open(state)) return state;
      return pending.seal(state, (await passkeys.passkeyOptions()).pending);
    },

    /** The page of the password step, or undefined for other steps. */
    async view(state: FlowState, loginHint: string | undefined): Promise<StepPage | undefined> {
      if (state.step !== 'password') return undefined;
      if (state.purpose === 'reset_2fa') {
        const account = await kit.accountOf(state);
        return { page: 'login', data: { title: 'Set up 2-factor authentication again', reset: true, email: account.email } };
      }
      const passkey = passkeys && state.pending ? pending.open(state) : undefined;
      return {
        page: 'login',
        data: {
          title: 'Sign in',
          email: loginHint,
          passkey: passkey ? { view: await passkeys!.passkeyView(passkey as WebAuthnPending) } : undefined,
        },
      };
    },

    handlers: {
      async login(ctx: Context, interaction: I, state: FlowState) {
        const parsed = loginForm.safeParse(ctx.request.body ?? {});
        if (!parsed.success) throw new AppError('bad_request', 400);
        if (state.purpose === 'reset_2fa') return resetPassword(ctx, interaction, state, parsed.data.password);
        const account = await checkPassword(ctx, interaction, state, parsed.data, 'invalid_credentials');
        if (!account) return;
        await kit.move(ctx, interaction, state, { type: 'password_verified', accountId: account.id, proof: passwordProof(account, clock.now()) }, account);
      },

      async passkey(ctx: Context, interaction: I, state: FlowState) {
        if (!passkeys) throw new AppError('not_found', 404);
        const input = kit.formInput(ctx);
        try {
          const { accountId, proof } = await passkeys.verifyPasskey(input.credential, pending.open(state));
          const account = await deps.accounts.findById(accountId);
          // The same answer as a wrong passkey: a disabled account reveals nothing more here.
          if (!account || account.disabled) throw new AppError('webauthn_failed', 400);
          logger.info({ event: 'signin.passkey', accountId, ip: ctx.ip });
          await kit.move(ctx, interaction, { ...state, pending: undefined }, { type: 'passkey_verified', accountId, proof }, account);
        } catch (caught) {
          const error = asStepError(caught);
          if (!error) throw caught;
          // A used or expired challenge can never verify: the page gets a new one.
          const renewed = pending.seal(state, (await passkeys.passkeyOptions()).pending);
          await kit.save(interaction, renewed);
          await kit.render(ctx, interaction, renewed, error);
        }
      },
    } satisfies Record<PasswordAction, StepHandler<I>>,
  };
}
