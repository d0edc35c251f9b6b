import type { Context, Middleware, Next } from 'koa';
import type { Logger } from 'pino';
import type { SecurityNotifier } from '../accounts/security-notifier.js';
import type { Clock } from '../clock.js';
import type { SecurityEvent } from '../delivery/index.js';
import type { FactorRegistry } from '../factors/registry.js';
import type { Csrf } from '../http/csrf.js';
import type { Views } from '../http/views.js';
import type { Account, AccountStore } from '../store/ports.js';
import type { ConsoleSession, ConsoleSessions } from './console-session.js';
import { isElevated, reauthAcr } from './elevation.js';
import type { ConsoleLogin } from './login-state.js';

/** Who the console is serving, set by `signedIn`. */
export interface ConsoleUser {
  session: ConsoleSession;
  account: Account;
}

/** What a change handler did, for the one notification the guard sends. */
export interface SecurityChange {
  event: SecurityEvent;
  detail?: string;
}

export const consoleUser = (ctx: Context): ConsoleUser => {
  const user = ctx.state.console as ConsoleUser | undefined;
  if (!user) throw new Error('consoleUser() before the signedIn middleware');
  return user;
};

/** Handlers that changed something say so here; the guard notifies once, after they succeed. */
export const recordChange = (ctx: Context, change: SecurityChange): void => {
  ctx.state.securityChange = change;
};

export interface ConsoleGuards {
  /** The console session and its account. Without one, a GET signs in (and comes back), a POST is refused with nothing changed. */
  signedIn: Middleware;
  /** A page that starts a change: without a recent re-authentication, re-authenticate first and come back. */
  elevatedPage: Middleware;
  /** Every POST that changes how the account signs in (see `createConsoleGuards`). */
  change: Middleware;
  /** The CSRF token for the console's forms, bound to the console session. */
  csrfToken(ctx: Context): string;
  /** The 403 page that sends the browser to re-authenticate and back to `returnTo`. */
  renderReauth(ctx: Context, returnTo: string, reason?: 'expired' | 'too_weak'): void;
}

/** Console forms' CSRF tokens are bound to the console session: a token from before a sign-in is void after it. */
export const csrfBinding = (session: ConsoleSession): string => `account:${session.id}`;

/**
 * The console's guards. Security rule "one gate for every change to sign-in methods":
 * `change` runs before each such POST and refuses it (403, nothing changed) unless the
 * form's CSRF token is bound to this console session and the session was elevated by a
 * re-authentication in the last 5 minutes (elevation.ts); after the handler succeeds it
 * sends exactly one security notification for what the handler recorded. A notification
 * that cannot be sent is logged by the notifier; the change stays.
 */
export function createConsoleGuards(deps: {
  sessions: ConsoleSessions;
  login: ConsoleLogin;
  accounts: AccountStore;
  registry: FactorRegistry;
  csrf: Csrf;
  views: Views;
  notifier: SecurityNotifier;
  clock: Clock;
  logger: Pick<Logger, 'info'>;
}): ConsoleGuards {
  const { sessions, login, accounts, registry, csrf, views, notifier, clock, logger } = deps;

  const renderReauth: ConsoleGuards['renderReauth'] = (ctx, returnTo, reason = 'expired') => {
    ctx.status = 403;
    ctx.type = 'html';
    ctx.body = views.render('account/reauth', {
      title: 'Sign in again to continue',
      returnTo,
      tooWeak: reason === 'too_weak',
    });
  };


  const signedIn: Middleware = async (ctx: Context, next: Next) => {
    const session = await sessions.current(ctx);
    const account = session ? await accounts.findById(session.accountId) : null;
    if (!session || !account || account.disabled) {
      if (session) await sessions.end(ctx, session);
      if (ctx.method === 'GET' || ctx.method === 'HEAD') login.begin(ctx, { returnTo: ctx.path });
      else renderReauth(ctx, ctx.path);
      return;
    }
    ctx.state.console = { session, account } satisfies ConsoleUser;
    await next();
  };

  const elevatedPage: Middleware = async (ctx, next) => {
    const { session, account } = consoleUser(ctx);
    if (isElevated(session.elevatedUntil, clock.now())) return next();
    login.begin(ctx, { returnTo: ctx.path, reauth: { acr: reauthAcr(await registry.hasEnrolled(account)) } });
  };

  const change: Middleware = async (ctx, next) => {
    const { session, account } = consoleUser(ctx);
    csrf.verify(ctx, csrfBinding(session));
    if (!isElevated(session.elevatedUntil, clock.now())) {
      logger.info({ event: 'console.change_refused', accountId: account.id, path: ctx.path, ip: ctx.ip }, 'change refused: no recent re-authentication');
      renderReauth(ctx, ctx.path);
      return;
    }
    await next();
    const done = ctx.state.securityChange as SecurityChange | undefined;
    if (done) await notifier.notify(account, done.event, done.detail, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
  };

  return {
    signedIn,
    elevatedPage,
    change,
    csrfToken: (ctx) => csrf.token(ctx, csrfBinding(consoleUser(ctx).session)),
    renderReauth,
  };
}
