import type { DeliveryChannel } from './errors.js';

/** A rendered email, ready to go. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export type PhoneChannel = Exclude<DeliveryChannel, 'email'>;

/** A rendered text message or voice call, ready to go. */
export interface OutgoingCall {
  /** E.164, e.g. +447700900123. */
  to: string;
  channel: PhoneChannel;
  text: string;
}

/**
 * What carries a message out of Latchkey. `outbox` is the newcomer's mode: there the
 * message body is the delivery, so it may be logged; with a real carrier it never is.
 */
export interface Carrier<M> {
  readonly name: 'smtp' | 'webhook' | 'outbox' | 'unconfigured';
  /** Resolves once the carrier has accepted the message; rejects otherwise. */
  send(message: M): Promise<{ id?: string }>;
  close(): void;
}

/** One channel configured, this one not: sending fails loudly rather than dropping the code. */
export function unconfiguredCarrier<M>(setting: string): Carrier<M> {
  return {
    name: 'unconfigured',
    async send() {
      throw new Error(`${setting} is not set`);
    },
    close() {},
  };
}
