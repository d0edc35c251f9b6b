import { createHmac, timingSafeEqual } from 'node:crypto';

/** What the `cookies` package (Koa's ctx.cookies, node-oidc-provider's) asks of its keys: Keygrip's three methods. */
export interface CookieSigner {
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  /** The index of the key that signed `data` as `digest`, or -1. */
  index(data: string, digest: string): number;
}

/**
 * Signs and checks the `.sig` companion of every signed cookie (the provider's session and
 * interaction cookies; ours: CSRF, device, console session, login state, reset link), as
 * Keygrip does: HMAC-SHA-1 under the first key, base64url, any key accepted, so cookies
 * signed before stay valid and key rotation works the same.
 *
 * Why not Keygrip itself: it compares a signature by HMAC-ing both sides again under a fresh
 * random key (`tsscmp`), so every signed cookie read, several per request, costs a CSPRNG
 * call and two more HMACs. `timingSafeEqual` gives the same constant-time comparison (a
 * signature is never compared in variable time); only the length, which is public, is
 * compared first.
 */
export function cookieSigner(keys: readonly string[]): CookieSigner {
  if (keys.length === 0 || keys.some((key) => !key)) throw new Error('Cookie keys must be non-empty strings');
  const signWith = (data: string, key: string) => createHmac('sha1', key).update(data).digest('base64url');
  const matches = (digest: string, expected: string) => {
    const given = Buffer.from(digest);
    return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
  };
  const index = (data: string, digest: string) => {
    if (typeof digest !== 'string') return -1;
    for (let i = 0; i < keys.length; i++) if (matches(digest, signWith(data, keys[i]!))) return i;
    return -1;
  };
  return {
    sign: (data) => signWith(data, keys[0]!),
    verify: (data, digest) => index(data, digest) > -1,
    index,
  };
}
