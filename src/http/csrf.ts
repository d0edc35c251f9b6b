import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { AppError } from '../errors.js';

export interface Csrf {
  /**
   * The token to embed in a form that will be posted for `binding` (an interaction uid, a
   * session id): sets the browser's CSRF cookie when it has none.
   */
  token(ctx: Context, binding: string): string;
  /** Refuses (403) a form POST whose `_csrf` field was not issued to this browser for `binding`. */
  verify(ctx: Context, binding: string): void;
}

/**
 * Double-submit CSRF protection (rule: every form POST carries a token bound to the
 * browser and to what the form acts on). The cookie holds a random value; the form carries
 * HMAC(key, cookie value, binding), so a token can neither be forged without the key, nor
 * replayed on another interaction: an attacker's own cookie/token pair, planted in a
 * victim's browser, is worthless on the victim's interaction. On https the cookie takes
 * the `__Host-` prefix, which browsers only accept Secure, host-only and for path /, so a
 * sibling subdomain cannot plant one.
 */
export function createCsrf(key: Buffer, options: { secure: boolean }): Csrf {
  const cookieName = options.secure ? '__Host-lk.csrf' : 'lk.csrf';
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: options.secure, signed: false, path: '/' };
  const sign = (value: string, binding: string) =>
    createHmac('sha256', key).update(value).update('\0').update(binding).digest('base64url');
  const cookieValue = (ctx: Context) => {
    const value = ctx.cookies.get(cookieName);
    return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
  };

  return {
    token(ctx, binding) {
      let value = cookieValue(ctx);
      if (!value) {
        value = randomBytes(32).toString('base64url');
        ctx.cookies.set(cookieName, value, cookieOptions);
      }
      return sign(value, binding);
    },
    verify(ctx, binding) {
      const value = cookieValue(ctx);
      const body = (ctx.request as { body?: Record<string, unknown> }).body;
      const sent = typeof body?._csrf === 'string' ? body._csrf : '';
      const expected = value ? sign(value, binding) : '';
      const ok =
        expected.length > 0 &&
        sent.length === expected.length &&
        timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
      if (!ok) throw new AppError('csrf_failed', 403);
    },
  };
}
