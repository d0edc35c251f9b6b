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
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    await next();
    if (ctx.type === 'text/html' || ctx.path.startsWith('/interaction')) ctx.set('Cache-Control', 'no-store');
  };
}
