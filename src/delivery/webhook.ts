import type { Carrier, OutgoingCall } from './carriers.js';

export interface WebhookOptions {
  url: string;
  /** Sent as `Authorization: Bearer …` so the provider can tell our requests from others. */
  secret?: string;
  timeoutMs?: number;
}

export class WebhookRefusedError extends Error {
  constructor(readonly status: number) {
    super(`SMS webhook answered ${status}`);
    this.name = 'WebhookRefusedError';
  }
}

/**
 * Text messages and voice calls through an HTTP provider (or a small bridge to one):
 * POST {"to", "channel", "text"} as JSON; any 2xx means it took the message.
 */
export function createWebhookCarrier({ url, secret, timeoutMs = 10_000 }: WebhookOptions): Carrier<OutgoingCall> {
  return {
    name: 'webhook',
    async send({ to, channel, text }) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
        body: JSON.stringify({ to, channel, text }),
        // A redirect would carry the secret and the code to an address nobody configured.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body is not read: it may echo the code, and nothing in it is needed.
      await response.body?.cancel();
      if (!response.ok) throw new WebhookRefusedError(response.status);
      return {};
    },
    close() {},
  };
}
