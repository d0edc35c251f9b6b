import { AppError } from '../errors.js';

export type DeliveryChannel = 'email' | 'sms' | 'voice';

/**
 * A message that could not be handed to its carrier (SMTP server, SMS webhook, outbox
 * file). The person sees `delivery_failed` and can retry or pick another factor; the code
 * they were waiting for was never silently dropped. 503 because it is temporary and
 * names no fault of the request (and proxies pass 503 pages through more often than 502).
 */
export class DeliveryError extends AppError {
  constructor(
    readonly channel: DeliveryChannel,
    cause?: unknown,
  ) {
    super('delivery_failed', 503);
    this.name = 'DeliveryError';
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * What the log says about a carrier's failure: its kind and code, not the whole error,
 * whose properties may hold the command or the request that carried the message.
 */
export function failureSummary(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { name?: string; message?: string; code?: string; status?: number; responseCode?: number; cause?: { code?: string } };
  return { name: e.name, message: e.message, code: e.code ?? e.cause?.code, status: e.status, responseCode: e.responseCode };
}
