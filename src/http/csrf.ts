import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { AppError } from '../errors.js';

const COOKIE = 'lk.csrf';

export interface Csrf {
  /** The token to embed in a form; sets the browser's CSRF cookie when it has none. */
  token(ctx: Context): string;
  /** Refuses (403) a form POST whose `_csrf` field does not match the browser's cookie. */
  verify(ctx: Context): void;
}

/**
 * Double-submit CSRF protection (rule: every form POST carries a token): the cookie holds
 * a random value, the form carries its HMAC, so a token can neither be forged nor
 * planted with a cookie from a sibling domain without the key.
 */
export function createCsrf(key: Buffer, options: { secure: boolean }): Csrf {
  const sign = (value: string) => createHmac('sha256', key).update(value).digest('base64url');
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: options.secure, signed: false, path: '/' };

  return {
    token(ctx) {
      let value = ctx.cookies.get(COOKIE);
      if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
        value = randomBytes(32).toString('base64url');
        ctx.cookies.set(COOKIE, value, cookieOptions);
      }
      return sign(value);
    },
    verify(ctx) {
      const value = ctx.cookies.get(COOKIE);
      const body = (ctx.request as { body?: Record<string, unknown> }).body;
      const sent = typeof body?._csrf === 'string' ? body._csrf : '';
      const expected = value ? sign(value) : '';
      const ok =
        expected.length > 0 &&
        sent.length === expected.length &&
        timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
      if (!ok) throw new AppError('csrf_failed', 403);
    },
  };
}
