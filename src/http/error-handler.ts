import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { message, type MessageKey } from '../messages.js';
import { BackendUnavailableError } from '../store/ports.js';
import type { Views } from './views.js';

const STATUS_KEYS: Record<number, MessageKey> = {
  400: 'bad_request',
  403: 'csrf_failed',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** Maps anything thrown to a stable code and status; internals never reach the client. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof BackendUnavailableError) return new AppError('service_unavailable', 503);
  const { name, status, expose } = (error ?? {}) as { name?: string; status?: number; expose?: boolean };
  if (name === 'SessionNotFound') return new AppError('interaction_expired', 400);
  if (typeof status === 'number' && status >= 400 && status < 500 && expose !== false) {
    return new AppError(STATUS_KEYS[status] ?? 'bad_request', status);
  }
  return new AppError('server_error', 500);
}

export function renderAppError(ctx: Context, views: Views, error: AppError): void {
  ctx.status = error.status;
  if (error.status === 503) ctx.set('Retry-After', '5');
  const text = message(error.code, error.details);
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = { error: error.code, error_description: text };
    return;
  }
  ctx.type = 'html';
  ctx.body = views.render('error', { title: 'Something went wrong', heading: 'Something went wrong', message: text });
}

export function errorHandler(views: Views, logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) renderAppError(ctx, views, new AppError('not_found', 404));
    } catch (error) {
      const appError = toAppError(error);
      if (appError.status >= 500) logger.error({ err: error, path: ctx.path }, 'request failed');
      renderAppError(ctx, views, appError);
    }
  };
}
