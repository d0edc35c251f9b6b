import type { Command } from 'commander';
import { DEFAULT_AUDIT_LIMIT } from '../audit/audit.js';
import { accountByEmail } from './account-lookup.js';
import type { WithContainer } from './program.js';

/** The most `--limit` may ask for: the log is read in one query, and this is a terminal. */
export const MAX_AUDIT_LIMIT = 1000;

export function parseLimit(value: string): number {
  const limit = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_AUDIT_LIMIT)) throw new Error(`--limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}, not "${value}".`);
  return limit;
}

export function registerAuditCommands(program: Command, withContainer: WithContainer): void {
  program
    .command('audit')
    .description('Print an account’s security events (its audit log), newest first, as JSON')
    .requiredOption('--email <email>', 'email address of the account')
    .option('--limit <n>', `how many events, 1 to ${MAX_AUDIT_LIMIT}`, String(DEFAULT_AUDIT_LIMIT))
    .action(async (opts: { email: string; limit: string }) => {
      // Checked before the store is opened: a typo answers at once, with the reason.
      const limit = parseLimit(opts.limit);
      await withContainer(async (c) => {
        const account = await accountByEmail(c, opts.email);
        const events = await c.audit.list(account.id, limit);
        console.log(
          JSON.stringify(
            events.map((e) => ({
              at: new Date(e.at).toISOString(),
              type: e.type,
              title: e.title,
              actor: e.actor,
              actor_name: e.actorName,
              ip: e.ip,
              user_agent: e.userAgent,
              detail: e.detail,
            })),
            null,
            2,
          ),
        );
      });
    });
}
