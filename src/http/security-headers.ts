import type { Context, Middleware } from 'koa';

export interface SecurityHeaders {
  /** Before the handlers run, so that node-oidc-provider can add the hash of its one inline script (form_post). */
  set(ctx: Context): void;
  /** After them: pages and interaction answers are never stored by a cache. */
  finish(ctx: Context): void;
}

/** Strict security headers and CSP on every response. */
export function securityHeaderSetter(options: { https: boolean }): SecurityHeaders {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const headers: [string, string][] = [
    ['Content-Security-Policy', csp],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
    ...(options.https ? [['Strict-Transport-Security', 'max-age=63072000; includeSubDomains'] as [string, string]] : []),
  ];
  return {
    // Straight onto the Node response: constant strings need none of Koa's per-call checks (on every request).
    set: (ctx) => {
      for (const [name, value] of headers) ctx.res.setHeader(name, value);
    },
    finish: (ctx) => {
      if (ctx.type === 'text/html' || ctx.path.startsWith('/interaction')) ctx.set('Cache-Control', 'no-store');
    },
  };
}

/** The same as a middleware of its own (for apps without the edge, such as test harnesses). */
export function securityHeaders(options: { https: boolean }): Middleware {
  const headers = securityHeaderSetter(options);
  return async (ctx, next) => {
    headers.set(ctx);
    await next();
    headers.finish(ctx);
  };
}
