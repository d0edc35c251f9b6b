import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { SecurityNotifier } from '../accounts/security-notifier.js';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { FactorRegistry } from '../factors/registry.js';
import type { Csrf } from '../http/csrf.js';
import type { Views } from '../http/views.js';
import type { AccountStore, OidcArtifactStore } from '../store/ports.js';
import { createConsoleSessions, type ConsoleSessions } from './console-session.js';
import { createConsoleGuards, type ConsoleGuards } from './guard.js';
import { createConsoleLogin, type ConsoleLogin } from './login-state.js';

/** The console's session, sign-in state and guards: built once, shared by every console router. */
export interface ConsoleKit {
  sessions: ConsoleSessions;
  login: ConsoleLogin;
  guards: ConsoleGuards;
  /** Renders views/account/<page> with the session's CSRF token. */
  render(ctx: Context, page: string, data: { title: string; [key: string]: unknown }, status?: number): void;
}

export function createConsoleKit(deps: {
  provider: Provider;
  views: Views;
  csrf: Csrf;
  box: SecretBox;
  clock: Clock;
  logger: Pick<Logger, 'info'>;
  issuer: string;
  accounts: AccountStore;
  artifacts: OidcArtifactStore;
  registry: FactorRegistry;
  notifier: SecurityNotifier;
}): ConsoleKit {
  const { provider, views, csrf, box, clock, logger, issuer, accounts, registry, notifier } = deps;
  const secure = issuer.startsWith('https:');
  const sessions = createConsoleSessions({ artifacts: deps.artifacts, box, provider, clock, secure });
  const login = createConsoleLogin({ box, clock, issuer, secure });
  const guards = createConsoleGuards({ sessions, login, accounts, registry, csrf, views, notifier, clock, logger });
  return {
    sessions,
    login,
    guards,
    render(ctx, page, data, status = 200) {
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = views.render(`account/${page}`, { csrf: guards.csrfToken(ctx), ...data });
    },
  };
}
