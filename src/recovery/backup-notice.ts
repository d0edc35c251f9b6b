import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Mailer, PhoneSender } from '../delivery/index.js';
import type { BackupNotice } from './two-factor-reset.js';

/**
 * Security rule "a change is told to every verified address": a notification to the
 * backup destination, by email or by text message (a voice-only backup phone is texted:
 * a notice read out by a robot at night helps nobody). Like every notification, a failure
 * is logged and never undoes the change.
 */
export function createBackupNotice(deps: { mail: Mailer; phone: PhoneSender; clock: Clock; logger: Pick<Logger, 'warn'> }): BackupNotice {
  return async (account, method, event, detail, where) => {
    try {
      if (method.kind === 'email') {
        await deps.mail.send({
          to: method.destination,
          template: 'security-notification',
          data: { event, detail, time: deps.clock.now(), ip: where.ip, browser: where.userAgent?.slice(0, 200) || undefined },
        });
      } else {
        await deps.phone.send({ to: method.destination, channel: 'sms', template: 'sms-notice', data: { event, detail } });
      }
    } catch (error) {
      deps.logger.warn({ event: 'notification.failed', accountId: account.id, notification: event, to: 'backup method', err: error }, 'could not notify the backup method');
    }
  };
}
