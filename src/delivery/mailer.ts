import type { Logger } from 'pino';
import type { Carrier, OutgoingEmail } from './carriers.js';
import { DeliveryError, failureSummary } from './errors.js';
import { maskEmail } from './redact.js';
import type { EmailTemplate, EmailTemplates, MessageTemplates } from './templates.js';

export interface EmailMessage<T extends EmailTemplate> {
  /** One address; lists and display names are refused (a code goes to one inbox). */
  to: string;
  template: T;
  data: EmailTemplates[T];
}

export interface Mailer {
  /** False when SMTP_URL is not set but an SMS webhook is: do not offer email codes. */
  readonly available: boolean;
  /** Resolves once the message is handed over; rejects with a DeliveryError otherwise. */
  send<T extends EmailTemplate>(message: EmailMessage<T>): Promise<void>;
  close(): void;
}

const SINGLE_ADDRESS = /^[^\s@<>,;"()]+@[^\s@<>,;"()]+$/;

export function createMailer({ templates, carrier, logger }: { templates: MessageTemplates; carrier: Carrier<OutgoingEmail>; logger: Logger }): Mailer {
  return {
    available: carrier.name !== 'unconfigured',
    async send({ to, template, data }) {
      // A caller's bug, not a delivery failure: an address list would send the code to every address in it.
      if (!SINGLE_ADDRESS.test(to)) throw new Error('Mailer.send needs a single email address');
      const rendered = templates.email(template, data);
      try {
        const { id } = await carrier.send({ to, ...rendered });
        if (carrier.name === 'outbox') {
          // The outbox is the newcomer's inbox and this log line its notification, so it
          // carries the text (the code). With SMTP configured nothing of the body is logged.
          logger.info({ kind: 'email', template, to, subject: rendered.subject, text: rendered.text }, 'email written to the outbox (SMTP_URL is not set)');
        } else {
          logger.info({ kind: 'email', template, to: maskEmail(to), messageId: id }, 'email sent');
        }
      } catch (error) {
        logger.error({ kind: 'email', template, to: maskEmail(to), carrier: carrier.name, err: failureSummary(error) }, 'email could not be sent');
        throw new DeliveryError('email', error);
      }
    },
    close: () => carrier.close(),
  };
}
