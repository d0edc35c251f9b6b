import { message, type MessageKey } from './messages.js';

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

/**
 * The errors a page shows itself (wrong code, a wait, cannot send), re-rendering its form;
 * anything else (a CSRF failure, a server fault) is an error page.
 */
export function shownOnPage(error: unknown): { status: number; text: string } | undefined {
  return error instanceof AppError && (error.status < 500 || error.code === 'delivery_failed') && error.code !== 'csrf_failed'
    ? { status: error.status, text: message(error.code, error.details) }
    : undefined;
}
