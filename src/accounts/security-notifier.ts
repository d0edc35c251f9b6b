import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Mailer, SecurityEvent } from '../delivery/index.js';
import type { Account } from '../store/ports.js';

export interface SecurityNotifier {
  /**
   * Security rule "every change of how someone signs in is notified": emails the account's
   * address. A failed send is logged, never fatal: the change already happened and must not
   * be half-undone by a mail server.
   */
  notify(account: Account, event: SecurityEvent, detail: string | undefined, where: { ip?: string; userAgent?: string }): Promise<void>;
}

export function createSecurityNotifier(deps: { mail: Mailer; clock: Clock; logger: Pick<Logger, 'warn'> }): SecurityNotifier {
  return {
    async notify(account, event, detail, where) {
      try {
        await deps.mail.send({
          to: account.email,
          template: 'security-notification',
          data: { event, detail, time: deps.clock.now(), ip: where.ip, browser: where.userAgent?.slice(0, 200) || undefined },
        });
      } catch (error) {
        deps.logger.warn({ event: 'notification.failed', accountId: account.id, notification: event, err: error }, 'could not send a security notification');
      }
    },
  };
}
