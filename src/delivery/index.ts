import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { unconfiguredCarrier, type Carrier, type OutgoingCall, type OutgoingEmail } from './carriers.js';
import { createMailer, type Mailer } from './mailer.js';
import { createFileOutbox, createMemoryOutbox, outboxEmailCarrier, outboxPhoneCarrier, type Outbox } from './outbox.js';
import { createPhoneSender, type PhoneSender } from './phone.js';
import { createSmtpCarrier } from './smtp.js';
import { createMessageTemplates } from './templates.js';
import { createWebhookCarrier } from './webhook.js';

export { DeliveryError, type DeliveryChannel } from './errors.js';
export type { PhoneChannel } from './carriers.js';
export type { EmailMessage, Mailer } from './mailer.js';
export type { Outbox, OutboxEntry } from './outbox.js';
export type { PhoneMessage, PhoneSender } from './phone.js';
export type { EmailTemplate, EmailTemplates, PhoneTemplate, PhoneTemplates } from './templates.js';
export type { SecurityEvent, VerificationPurpose } from './wording.js';

export interface Delivery {
  mail: Mailer;
  phone: PhoneSender;
  /** Set only in outbox mode (neither SMTP_URL nor SMS_WEBHOOK_URL configured). */
  outbox?: Outbox;
  close(): void;
}

export interface DeliveryDeps {
  config: Pick<Config, 'issuer' | 'dataDir' | 'smtpUrl' | 'mailFrom' | 'smsWebhookUrl' | 'smsWebhookSecret'>;
  logger: Logger;
  clock: Clock;
  /** views/messages */
  templatesDir: string;
}

/**
 * Real carriers for what is configured. With nothing configured everything goes to the
 * outbox so that every flow can be tried at once; with only one channel configured the
 * other refuses to send (and says so) instead of writing codes to a file in production.
 */
export function createDelivery({ config, logger, clock, templatesDir }: DeliveryDeps): Delivery {
  const templates = createMessageTemplates(templatesDir, { issuer: config.issuer });
  let outbox: Outbox | undefined;
  let email: Carrier<OutgoingEmail>;
  let calls: Carrier<OutgoingCall>;

  if (!config.smtpUrl && !config.smsWebhookUrl) {
    outbox = config.dataDir === ':memory:' ? createMemoryOutbox() : createFileOutbox(join(config.dataDir, 'outbox.jsonl'));
    email = outboxEmailCarrier(outbox, clock);
    calls = outboxPhoneCarrier(outbox, clock);
    logger.info(
      { outbox: outbox.location },
      'SMTP_URL and SMS_WEBHOOK_URL are not set: emails, text messages and voice calls are not sent but written to the outbox and to this log',
    );
  } else {
    email = config.smtpUrl ? createSmtpCarrier({ url: config.smtpUrl, from: config.mailFrom }) : unconfiguredCarrier('SMTP_URL');
    calls = config.smsWebhookUrl
      ? createWebhookCarrier({ url: config.smsWebhookUrl, secret: config.smsWebhookSecret })
      : unconfiguredCarrier('SMS_WEBHOOK_URL');
    if (!config.smtpUrl) logger.warn('SMTP_URL is not set: no email can be sent (codes, notifications, reset links)');
    if (!config.smsWebhookUrl) logger.warn('SMS_WEBHOOK_URL is not set: no text message or voice call can be sent');
  }

  const mail = createMailer({ templates, carrier: email, logger });
  const phone = createPhoneSender({ templates, carrier: calls, logger });
  return {
    mail,
    phone,
    outbox,
    close() {
      mail.close();
      phone.close();
    },
  };
}
