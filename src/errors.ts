import type { MessageKey } from './messages.js';

/**
 * The one error type of the application: a stable code (also the message key shown to
 * the user) and an HTTP status. Pages re-render with the message; APIs answer JSON.
 */
export class AppError extends Error {
  constructor(
    readonly code: MessageKey,
    readonly status: number,
    readonly details?: Record<string, string>,
  ) {
    super(code);
    this.name = 'AppError';
  }
}
