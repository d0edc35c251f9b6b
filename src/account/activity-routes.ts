import Router from '@koa/router';
import type { Audit, AuditEntry } from '../audit/audit.js';
import { browserName } from '../audit/browser-name.js';
import type { ConsoleKit } from './console.js';
import { consoleUser } from './guard.js';

/** "2026-12-06 04:55 UTC": the time zone is said, since the server cannot know the reader's. */
const utc = (epochMs: number) => `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Who did it, when it was not the owner: support by name, or Latchkey itself. */
const actorOf = (event: AuditEntry): string | undefined => {
  if (event.actor === 'support') return `by support: ${event.actorName ?? 'unnamed'}`;
  if (event.actor === 'system') return 'by Latchkey';
  return undefined;
};

const fromOf = (event: AuditEntry): string | undefined => {
  const parts = [event.ip, browserName(event.userAgent)].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(', ') : undefined;
};

export interface ActivityRouteDeps {
  audit: Pick<Audit, 'list'>;
  /** The console's sessions, sign-in state and guards (console.ts). */
  console: ConsoleKit;
}

/**
 * "Recent security activity" at /account/activity: the signed-in account's last events,
 * newest first. Reading needs the console session only (no re-authentication: it changes
 * nothing), and the list is always the session's own account, never one named by the request.
 */
export function activityRoutes(deps: ActivityRouteDeps): Router {
  const { audit } = deps;
  const { guards, render } = deps.console;
  const router = new Router();

  router.get('/account/activity', guards.signedIn, async (ctx) => {
    const { account } = consoleUser(ctx);
    const events = await audit.list(account.id);
    render(ctx, 'activity', {
      title: 'Recent security activity',
      events: events.map((event) => ({
        title: event.title,
        when: utc(event.at),
        iso: new Date(event.at).toISOString(),
        detail: event.detail ?? undefined,
        from: fromOf(event),
        by: actorOf(event),
      })),
    });
  });

  return router;
}
