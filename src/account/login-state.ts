import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID, CONSOLE_SCOPES } from './console-client.js';

/** How long the browser has between leaving for /auth and coming back (the provider's interaction lasts 30 minutes; people rarely need more than this). */
export const LOGIN_STATE_TTL_MS = 15 * 60_000;

const PURPOSE = 'account.login-state';

const stateSchema = z.object({
  state: z.string(),
  verifier: z.string(),
  returnTo: z.string(),
  /** A re-authentication: the callback must not send the browser round again when it does not elevate. */
  reauth: z.boolean(),
  expiresAt: z.number(),
});
export type LoginState = z.infer<typeof stateSchema>;

export interface LoginRequest {
  /** Where to go after the callback; anything but a console path becomes /account. */
  returnTo: string;
  /** A re-authentication: prompt=login and max_age=0, with `acr` as acr_values when given. */
  reauth?: { acr: string | undefined };
}

export interface ConsoleLogin {
  /** Sends the browser to /auth, keeping state and the PKCE verifier in a short-lived sealed cookie. */
  begin(ctx: Context, request: LoginRequest): void;
  /**
   * The login state this browser kept, once (the cookie is cleared), when the callback's
   * `state` matches it and it has not expired; otherwise null.
   */
  take(ctx: Context, returnedState: string): LoginState | null;
}

/** A path inside the console (no query, no other origin): the only places a callback returns to. */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && value.length <= 200 && /^\/account(\/[A-Za-z0-9_-]+)*$/.test(value) ? value : '/account';
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The console's side of the authorization request (it is a relying party of its own OP).
 * Security rules: state binds the callback to this browser (CSRF on the callback, RFC 6749
 * 10.12); PKCE S256 binds the code to it (RFC 7636), the verifier never leaving the
 * browser's sealed, HttpOnly cookie; the return path is a console path only (no open
 * redirect).
 */
export function createConsoleLogin(deps: { box: SecretBox; clock: Clock; issuer: string; secure: boolean }): ConsoleLogin {
  const { box, clock } = deps;
  const cookieName = deps.secure ? '__Host-lk.console-login' : 'lk.console-login';
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: deps.secure, signed: true, path: '/', overwrite: true };

  return {
    begin(ctx, request) {
      const kept: LoginState = {
        state: randomBytes(32).toString('base64url'),
        verifier: randomBytes(32).toString('base64url'),
        returnTo: safeReturnPath(request.returnTo),
        reauth: request.reauth !== undefined,
        expiresAt: clock.now() + LOGIN_STATE_TTL_MS,
      };
      ctx.cookies.set(cookieName, box.seal(JSON.stringify(kept), PURPOSE), { ...cookieOptions, maxAge: LOGIN_STATE_TTL_MS });
      const params = new URLSearchParams({
        client_id: CONSOLE_CLIENT_ID,
        response_type: 'code',
        scope: CONSOLE_SCOPES,
        redirect_uri: `${deps.issuer}${CONSOLE_CALLBACK_PATH}`,
        state: kept.state,
        code_challenge: createHash('sha256').update(kept.verifier).digest('base64url'),
        code_challenge_method: 'S256',
      });
      if (request.reauth) {
        params.set('prompt', 'login');
        params.set('max_age', '0');
        if (request.reauth.acr) params.set('acr_values', request.reauth.acr);
      }
      ctx.status = 303;
      ctx.redirect(`/auth?${params.toString()}`);
    },

    take(ctx, returnedState) {
      const sealed = ctx.cookies.get(cookieName, { signed: true });
      ctx.cookies.set(cookieName, null, cookieOptions);
      if (!sealed || sealed.length > 2048) return null;
      let kept: LoginState;
      try {
        kept = stateSchema.parse(JSON.parse(box.open(sealed, PURPOSE)));
      } catch {
        return null;
      }
      if (kept.expiresAt <= clock.now() || !sameText(kept.state, returnedState)) return null;
      return kept;
    },
  };
}
