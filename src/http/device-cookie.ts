import type { Context } from 'koa';
import { DEVICE_TOKEN_MAX_AGE_MS, DEVICE_TOKENS_PER_BROWSER, type DeviceTokens } from '../accounts/device-tokens.js';

export const DEVICE_COOKIE = 'lk.device';
/** Only the sign-in form reads it. */
export const DEVICE_COOKIE_PATH = '/interaction';
const SEPARATOR = '~';

/** The browser's device tokens (see DeviceTokens), kept in one bounded cookie. */
export interface DeviceCookie {
  /** The device id this browser holds for the account signing in with `email`, or null. */
  deviceFor(ctx: Context, email: string): string | null;
  /** After a successful sign-in with `email`: a new device token for that account. */
  remember(ctx: Context, email: string): void;
}

export function createDeviceCookie(tokens: DeviceTokens, options: { secure: boolean }): DeviceCookie {
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: options.secure,
    signed: false,
    path: DEVICE_COOKIE_PATH,
    maxAge: DEVICE_TOKEN_MAX_AGE_MS,
    overwrite: true,
  };
  // Bounded however long a cookie the client sends: only the first few entries are looked at.
  const read = (ctx: Context) => (ctx.cookies.get(DEVICE_COOKIE) ?? '').split(SEPARATOR, DEVICE_TOKENS_PER_BROWSER);

  return {
    deviceFor: (ctx, email) => tokens.deviceFor(read(ctx), email),
    remember(ctx, email) {
      ctx.cookies.set(DEVICE_COOKIE, tokens.afterSignIn(read(ctx), email).join(SEPARATOR), cookieOptions);
    },
  };
}
