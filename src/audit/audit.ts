import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AuditActor, AuditEvent, AuditStore } from '../store/ports.js';

/**
 * The security events an account's audit log keeps, with what the owner reads for each
 * ("Recent security activity", `latchkey audit`). The names match the log's `event` field.
 */
export const AUDIT_EVENTS = {
  'signin.completed': 'Signed in',
  'signin.failed': 'Wrong password entered',
  'signin.locked': 'Sign-in paused after too many wrong passwords',
  'factor.failed': 'Wrong second-factor answer',
  'factor.locked': 'Second factor paused after too many wrong answers',
  'factor.added': 'Sign-in method added',
  'factor.removed': 'Sign-in method removed',
  'factor.renamed': 'Sign-in method renamed',
  'factor.recovery_used': 'Recovery key or backup code used',
  'recovery_codes.issued': 'New recovery key and backup codes made',
  'backup_method.set': 'Backup method set up',
  'backup_method.changed': 'Backup method changed',
  'backup_method.used': 'Code from the backup method entered',
  '2fa.reset_requested': '2-factor authentication email sent',
  '2fa.reset': 'Two-factor authentication reset',
  'password.changed': 'Password changed',
  'password.reset': 'Password reset with an emailed link',
} as const;
export type AuditType = keyof typeof AUDIT_EVENTS;

/** Who did it and from where; the account's owner in a browser unless said otherwise. */
export interface AuditWhere {
  ip?: string;
  userAgent?: string;
  actor?: AuditActor;
  /** The support agent's name (actor 'support'). */
  actorName?: string;
}

/** An event as people read it. */
export interface AuditEntry extends AuditEvent {
  title: string;
}

export interface Audit {
  /**
   * Security rule "every security event is audited": appends to the account's audit log
   * (and the process log). A failure is not swallowed: the store being away fails the
   * request closed, like every other write.
   */
  record(accountId: string, type: AuditType, where: AuditWhere, detail?: string): Promise<void>;
  /** The account's events, newest first. */
  list(accountId: string, limit?: number): Promise<AuditEntry[]>;
}

/** The browser's address and user agent, for `record`. */
export const whereOf = (ctx: Context): AuditWhere => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });

export const DEFAULT_AUDIT_LIMIT = 50;

export function createAudit(deps: { store: AuditStore; clock: Clock; logger: Pick<Logger, 'info'> }): Audit {
  const { store, clock, logger } = deps;
  return {
    async record(accountId, type, where, detail) {
      const actor = where.actor ?? 'user';
      await store.append({
        accountId,
        type,
        at: clock.now(),
        actor,
        actorName: where.actorName?.slice(0, 100) ?? null,
        ip: where.ip ?? null,
        userAgent: where.userAgent?.slice(0, 300) ?? null,
        detail: detail?.slice(0, 500) ?? null,
      });
      logger.info({ event: type, accountId, actor, actorName: where.actorName, ip: where.ip, detail }, AUDIT_EVENTS[type]);
    },
    async list(accountId, limit = DEFAULT_AUDIT_LIMIT) {
      const events = await store.listForAccount(accountId, limit);
      return events.map((e) => ({ ...e, title: (AUDIT_EVENTS as Record<string, string>)[e.type] ?? e.type }));
    },
  };
}
