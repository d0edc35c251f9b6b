import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { errorText, type MessageKey } from '../messages.js';
import { BackendUnavailableError } from '../store/ports.js';
import type { Views } from './views.js';

const STATUS_KEYS: Record<number, MessageKey> = {
  400: 'bad_request',
  403: 'csrf_failed',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

const keyForStatus = (status: number): MessageKey => STATUS_KEYS[status] ?? (status >= 500 ? 'server_error' : 'bad_request');

/** Maps anything thrown to a stable code and status; internals never reach the client. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof BackendUnavailableError) return new AppError('service_unavailable', 503);
  const { name, status, expose } = (error ?? {}) as { name?: string; status?: number; expose?: boolean };
  if (name === 'SessionNotFound') return new AppError('interaction_expired', 400);
  if (typeof status === 'number' && status >= 400 && status < 500 && expose !== false) {
    return new AppError(keyForStatus(status), status);
  }
  return new AppError('server_error', 500);
}

export function renderAppError(ctx: Context, views: Views, error: AppError): void {
  ctx.status = error.status;
  if (error.status === 503) ctx.set('Retry-After', '5');
  const { heading, text } = errorText(error.code, error.details);
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = { error: error.code, error_description: text };
    return;
  }
  ctx.type = 'html';
  ctx.body = views.render('error', { title: heading, heading, message: text, code: error.code });
}

export interface ErrorAnswers {
  /**
   * After the handlers: a status set without a body (no route matched, a library's bare
   * refusal) still gets the page a person can read, never Koa's one-word text.
   */
  fillEmpty(ctx: Context): void;
  /** Whatever was thrown, as an error page or JSON error; internals never reach the client (logged). */
  answer(ctx: Context, error: unknown): void;
}

export function errorAnswers(views: Views, logger: Logger): ErrorAnswers {
  return {
    fillEmpty(ctx) {
      if (ctx.status >= 400 && ctx.body == null) renderAppError(ctx, views, new AppError(keyForStatus(ctx.status), ctx.status));
    },
    answer(ctx, error) {
      const appError = toAppError(error);
      if (appError.status >= 500) logger.error({ err: error, path: ctx.path }, 'request failed');
      renderAppError(ctx, views, appError);
    },
  };
}

/** The same as a middleware of its own (for apps without the edge, such as test harnesses). */
export function errorHandler(views: Views, logger: Logger): Middleware {
  const errors = errorAnswers(views, logger);
  return async (ctx, next) => {
    try {
      await next();
      errors.fillEmpty(ctx);
    } catch (error) {
      errors.answer(ctx, error);
    }
  };
}
