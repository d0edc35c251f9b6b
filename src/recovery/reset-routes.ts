import Router from '@koa/router';
import type { ConsoleLogin } from '../account/login-state.js';
import { errorText } from '../messages.js';
import type { Views } from '../http/views.js';
import type { ResetLinkCookie } from './reset-link-cookie.js';
import type { TwoFactorReset } from './two-factor-reset.js';

const TOKEN = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * The page behind "Send 2-factor authentication email" (GET /reset-2fa/:token). It uses
 * nothing up: it keeps the token in this browser and starts a sign-in to the account
 * console with prompt=login, which the flow turns into the reset (purpose reset_2fa):
 * the password again, then the link is used up, then a new factor and a new recovery set.
 */
export function resetLinkRoutes(deps: { views: Views; reset: TwoFactorReset; cookie: ResetLinkCookie; login: ConsoleLogin }): Router {
  const router = new Router();
  router.get('/reset-2fa/:token', async (ctx) => {
    // The token must not travel on in a Referer, nor stay in a cache.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    const token = ctx.params.token ?? '';
    const account = TOKEN.test(token) ? await deps.reset.check(token) : null;
    if (!account) {
      const { heading, text } = errorText('two_factor_link_invalid');
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = deps.views.render('error', { title: heading, heading, message: text, code: 'two_factor_link_invalid', action: { href: '/account', label: 'Sign in' } });
      return;
    }
    deps.cookie.keep(ctx, token);
    deps.login.begin(ctx, { returnTo: '/account/security', reauth: { acr: undefined } });
  });
  return router;
}
