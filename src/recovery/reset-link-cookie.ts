import type { Context } from 'koa';
import type { SecretBox } from '../crypto/secret-box.js';
import { TWO_FACTOR_RESET_LINK_TTL_MS } from './two-factor-reset.js';

const PURPOSE = 'recovery.reset-link';

export interface ResetLinkCookie {
  /** Keeps the opened link's token in this browser, sealed, until the sign-in flow starts. */
  keep(ctx: Context, token: string): void;
  /** The kept token, once (the cookie is cleared), or null. */
  take(ctx: Context): string | null;
}

/**
 * Carries an opened 2FA reset link from GET /reset-2fa/:token to the sign-in flow it
 * starts (the console's /auth request), without putting the token in another URL.
 * Sealed and HttpOnly: the token is as good as the link, and only this browser holds it.
 * The flow takes it at its start, so a later sign-in in this browser is never a reset.
 */
export function createResetLinkCookie(deps: { box: SecretBox; secure: boolean }): ResetLinkCookie {
  const name = deps.secure ? '__Host-lk.2fa-reset' : 'lk.2fa-reset';
  const options = { httpOnly: true, sameSite: 'lax' as const, secure: deps.secure, signed: true, path: '/', overwrite: true };
  return {
    keep(ctx, token) {
      ctx.cookies.set(name, deps.box.seal(token, PURPOSE), { ...options, maxAge: TWO_FACTOR_RESET_LINK_TTL_MS });
    },
    take(ctx) {
      const sealed = ctx.cookies.get(name, { signed: true });
      if (!sealed) return null;
      ctx.cookies.set(name, null, options);
      if (sealed.length > 1024) return null;
      try {
        return deps.box.open(sealed, PURPOSE);
      } catch {
        return null;
      }
    },
  };
}
