import type { Middleware } from 'koa';

/**
 * Strict security headers and CSP on every response, set before the handlers run so
 * that node-oidc-provider can add the hash of its one inline script (form_post).
 */
export function securityHeaders(options: { https: boolean }): Middleware {
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
  return async (ctx, next) => {
    // Straight onto the Node response: constant strings need none of Koa's per-call checks (on every request).
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
    await next();
    if (ctx.type === 'text/html' || ctx.path.startsWith('/interaction')) ctx.set('Cache-Control', 'no-store');
  };
}
