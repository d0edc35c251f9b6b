import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { FactorRegistry } from '../factors/registry.js';
import type { Csrf } from '../http/csrf.js';
import { formBody } from '../http/form-body.js';
import type { AccountStore } from '../store/ports.js';
import { redeemConsoleCode } from './code-exchange.js';
import { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID } from './console-client.js';
import type { ConsoleKit } from './console.js';
import { elevatedUntil, reauthAcr } from './elevation.js';
import { csrfBinding } from './guard.js';
import { safeReturnPath } from './login-state.js';

export interface ConsoleSignInRouteDeps {
  provider: Provider;
  csrf: Csrf;
  clock: Clock;
  logger: Pick<Logger, 'info'>;
  issuer: string;
  accounts: AccountStore;
  registry: FactorRegistry;
  /** The console's sessions, sign-in state and guards (console.ts). */
  console: ConsoleKit;
}

/**
 * How the console signs in and out: it is a relying party of its own OP, so it sends the
 * browser through /auth like any client (login-state.ts keeps state and PKCE), redeems the
 * code in-process (code-exchange.ts) and starts a console session of its own. Re-authenticating
 * before a change goes the same way, asking for the level elevation.ts names.
 */
export function consoleSignInRoutes(deps: ConsoleSignInRouteDeps): Router {
  const { provider, clock, logger, issuer, accounts, registry } = deps;
  const { sessions, login, guards } = deps.console;
  const form = formBody('16kb');
  const router = new Router();

  router.get(CONSOLE_CALLBACK_PATH, async (ctx) => {
    const { state, code, error, iss } = ctx.query;
    const kept = typeof state === 'string' ? login.take(ctx, state) : null;
    if (error !== undefined) throw new AppError('account_signin_cancelled', 400);
    if (!kept || typeof code !== 'string') throw new AppError('account_signin_expired', 400);
    // RFC 9207: the response names the issuer that sent it; node-oidc-provider always adds it.
    if (iss !== issuer) throw new AppError('account_signin_expired', 400);
    const auth = await redeemConsoleCode(provider, { code, verifier: kept.verifier, redirectUri: `${issuer}${CONSOLE_CALLBACK_PATH}` });
    const account = await accounts.findById(auth.accountId);
    if (!account || account.disabled || !auth.sessionUid) throw new AppError('account_signin_expired', 400);
    const until = elevatedUntil(auth, await registry.hasEnrolled(account), clock.now());
    // A new session id at every sign-in (no fixation); what the previous one held is dropped.
    await sessions.end(ctx, await sessions.current(ctx));
    await sessions.start(ctx, {
      accountId: account.id,
      sessionUid: auth.sessionUid,
      grantId: auth.grantId,
      authTime: auth.authTime,
      acr: auth.acr,
      amr: auth.amr,
      elevatedUntil: until,
    });
    logger.info({ event: 'console.signin', accountId: account.id, acr: auth.acr, amr: auth.amr, elevated: until > 0, ip: ctx.ip }, 'console signed in');
    if (kept.reauth && until === 0) {
      // Not strong or fresh enough to make changes: say so rather than loop through /auth again.
      guards.renderReauth(ctx, kept.returnTo, 'too_weak');
      return;
    }
    ctx.status = 303;
    ctx.redirect(kept.returnTo);
  });

  /** The 403 page's button: re-authenticate, then back to the page the change was made from. */
  router.get('/account/reauth', async (ctx) => {
    const returnTo = safeReturnPath(ctx.query.return);
    const session = await sessions.current(ctx);
    const account = session ? await accounts.findById(session.accountId) : null;
    if (!session || !account) {
      login.begin(ctx, { returnTo });
      return;
    }
    login.begin(ctx, { returnTo, reauth: { acr: reauthAcr(await registry.hasEnrolled(account)) } });
  });

  router.post('/account/signout', form, async (ctx) => {
    const session = await sessions.current(ctx);
    if (session) {
      deps.csrf.verify(ctx, csrfBinding(session));
      await sessions.end(ctx, session);
      logger.info({ event: 'console.signout', accountId: session.accountId, ip: ctx.ip }, 'console signed out');
    }
    // The provider asks whether to sign out of Latchkey on this device too.
    ctx.status = 303;
    ctx.redirect(`/session/end?client_id=${CONSOLE_CLIENT_ID}`);
  });

  return router;
}
