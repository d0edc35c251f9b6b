import type { Logger } from 'pino';
import type { Carrier, OutgoingCall, PhoneChannel } from './carriers.js';
import { DeliveryError, failureSummary } from './errors.js';
import { maskPhone } from './redact.js';
import type { MessageTemplates, PhoneTemplate, PhoneTemplates } from './templates.js';

export interface PhoneMessage<T extends PhoneTemplate> {
  /** E.164: + then the country code and number, digits only (+447700900123). */
  to: string;
  channel: PhoneChannel;
  template: T;
  data: PhoneTemplates[T];
}

export interface PhoneSender {
  /** False when SMS_WEBHOOK_URL is not set but SMTP is: do not offer text or voice codes. */
  readonly available: boolean;
  /** Resolves once the provider accepted the message; rejects with a DeliveryError otherwise. */
  send<T extends PhoneTemplate>(message: PhoneMessage<T>): Promise<void>;
  close(): void;
}

const E164 = /^\+[1-9]\d{6,14}$/;

export function createPhoneSender({ templates, carrier, logger }: { templates: MessageTemplates; carrier: Carrier<OutgoingCall>; logger: Logger }): PhoneSender {
  return {
    available: carrier.name !== 'unconfigured',
    async send({ to, channel, template, data }) {
      // Numbers are normalised when they are entered; anything else reaching here is a bug.
      if (!E164.test(to)) throw new Error('PhoneSender.send needs an E.164 number');
      const text = templates.phone(template, data);
      try {
        await carrier.send({ to, channel, text });
        if (carrier.name === 'outbox') {
          // The outbox is the newcomer's phone and this log line its screen, so it carries
          // the text (the code). With a webhook configured nothing of the text is logged.
          logger.info({ kind: channel, template, to, text }, `${channel === 'sms' ? 'text message' : 'voice call'} written to the outbox (SMS_WEBHOOK_URL is not set)`);
        } else {
          logger.info({ kind: channel, template, to: maskPhone(to) }, channel === 'sms' ? 'text message sent' : 'voice call requested');
        }
      } catch (error) {
        logger.error({ kind: channel, template, to: maskPhone(to), carrier: carrier.name, err: failureSummary(error) }, `${channel === 'sms' ? 'text message' : 'voice call'} could not be sent`);
        throw new DeliveryError(channel, error);
      }
    },
    close: () => carrier.close(),
  };
}
