import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { PasswordRefused } from '../accounts/password-policy.js';
import type { PasswordReset } from '../accounts/password-reset.js';
import { AppError } from '../errors.js';
import type { Csrf } from '../http/csrf.js';
import { formBody } from '../http/form-body.js';
import type { Views } from '../http/views.js';
import { errorText, message, type MessageKey } from '../messages.js';

/** CSRF bindings: these pages belong to no interaction or session. */
const FORGOT = 'password:forgot';
const RESET = 'password:reset';

/** An interaction uid the pages link back to ("Back to sign in"); anything else is dropped. */
const UID = /^[A-Za-z0-9_-]{1,64}$/;

const forgotForm = z.object({ _csrf: z.string(), email: z.string().max(1024).default(''), interaction: z.string().max(64).default('') });
const resetForm = z.object({ _csrf: z.string(), token: z.string().max(256).default(''), password: z.string().max(8192).default('') });

/** A query parameter given once (a repeated one is an array: ignored). */
const single = (value: unknown) => (typeof value === 'string' ? value : undefined);
const backLink = (uid: string | undefined) => (uid && UID.test(uid) ? `/interaction/${uid}` : undefined);

/**
 * "Forgot password" (GET/POST /password/forgot) and the page behind the emailed link
 * (GET/POST /password/reset?token=…). Outside any interaction: the link may be opened in
 * another browser, after the sign-in it came from has expired. The logic is in
 * accounts/password-reset.ts; every bad input is a page with a 4xx status.
 */
export function passwordRoutes(deps: { views: Views; csrf: Csrf; reset: PasswordReset }): Router {
  const { views, csrf, reset } = deps;
  const router = new Router({ prefix: '/password' });
  const form = formBody('16kb');

  const renderForgot = (ctx: Context, back: string | undefined, status = 200, error?: string, email?: string) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = views.render('forgot-password', { title: 'Forgot password', csrf: csrf.token(ctx, FORGOT), back, interaction: back?.split('/').pop(), error, email });
  };

  const renderReset = (ctx: Context, token: string, status = 200, error?: string, strength?: unknown) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = views.render('reset-password', { title: 'Choose a new password', csrf: csrf.token(ctx, RESET), token, error, strength });
  };

  // The token must not travel on in a Referer, nor stay in a cache.
  const noReferrer = (ctx: Context) => {
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
  };

  /** An expired, used or mangled link: a 400 page that leads to a new one. */
  const renderInvalidLink = (ctx: Context) => {
    const { heading, text } = errorText('reset_link_invalid');
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = views.render('error', { title: heading, heading, message: text, code: 'reset_link_invalid', action: { href: '/password/forgot', label: 'Forgot password' } });
  };

  router.get('/forgot', (ctx) => {
    renderForgot(ctx, backLink(single(ctx.query.interaction)));
  });

  router.post('/forgot', form, async (ctx) => {
    csrf.verify(ctx, FORGOT);
    const parsed = forgotForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    const { email, interaction } = parsed.data;
    const back = backLink(interaction);
    try {
      await reset.request(email, ctx.ip);
    } catch (error) {
      if (!(error instanceof AppError) || error.code === 'csrf_failed') throw error;
      renderForgot(ctx, back, error.status, message(error.code, error.details), email);
      return;
    }
    ctx.type = 'html';
    ctx.body = views.render('forgot-password-sent', { title: 'Check your inbox', email: email.trim(), back });
  });

  router.get('/reset', async (ctx) => {
    noReferrer(ctx);
    const token = single(ctx.query.token) ?? '';
    if (await reset.check(token)) renderReset(ctx, token);
    else renderInvalidLink(ctx);
  });

  router.post('/reset', form, async (ctx) => {
    noReferrer(ctx);
    csrf.verify(ctx, RESET);
    const parsed = resetForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    const { token, password } = parsed.data;
    try {
      await reset.complete(token, password, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
    } catch (error) {
      if (error instanceof PasswordRefused) {
        renderReset(ctx, token, 400, message(error.code as MessageKey), error.assessment);
        return;
      }
      if (error instanceof AppError && error.code === 'reset_link_invalid') {
        renderInvalidLink(ctx);
        return;
      }
      throw error;
    }
    ctx.type = 'html';
    ctx.body = views.render('password-changed', { title: 'Password changed' });
  });

  return router;
}
