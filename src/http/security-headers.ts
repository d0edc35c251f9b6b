import type { Context, Middleware } from 'koa';

export interface SecurityHeaders {
  /** Before the handlers run, so that node-oidc-provider can add the hash of its one inline script (form_post). */
  set(ctx: Context): void;
  /** After them: pages and interaction answers are never stored by a cache. */
  finish(ctx: Context): void;
}

export interface SecurityHeaderOptions {
  https: boolean;
  /**
   * Paths whose answers are JSON for programs (the token endpoint, introspection, userinfo,
   * JWKS, discovery, …). They get the set OWASP gives APIs; everything else the full page set.
   */
  apiPaths?: ReadonlySet<string>;
}

/**
 * Strict security headers on every response. Pages get a CSP allowing only our own
 * scripts, styles and images, and the headers that only matter to a document a person
 * looks at (Referrer-Policy, COOP, Permissions-Policy). JSON answers to programs get a CSP
 * that allows nothing and cannot be framed, nosniff, X-Frame-Options and HSTS: a browser
 * opening one shows an inert document, so the page-only headers would protect nothing,
 * while each costs every token request. An API path that answers with a page after all (an
 * error page for a browser) gets the full page set once the handler has run.
 */
export function securityHeaderSetter(options: SecurityHeaderOptions): SecurityHeaders {
  const pageCsp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const hsts: [string, string][] = options.https ? [['Strict-Transport-Security', 'max-age=63072000; includeSubDomains']] : [];
  const common: [string, string][] = [['X-Content-Type-Options', 'nosniff'], ['X-Frame-Options', 'DENY'], ...hsts];
  const pageHeaders: [string, string][] = [
    ['Content-Security-Policy', pageCsp],
    ...common,
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
  ];
  const apiHeaders: [string, string][] = [['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"], ...common];
  const apiPaths = options.apiPaths ?? new Set<string>();
  // Straight onto the Node response: constant strings need none of Koa's per-call checks (on every request).
  const put = (ctx: Context, headers: [string, string][]) => {
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
  };
  return {
    set: (ctx) => put(ctx, apiPaths.has(ctx.path) ? apiHeaders : pageHeaders),
    finish: (ctx) => {
      // From the Node response: Koa's ctx.type copies every header first (getHeaders), on every request.
      const page = /^text\/html\s*(;|$)/i.test(String(ctx.res.getHeader('content-type') ?? ''));
      if (page && apiPaths.has(ctx.path)) put(ctx, pageHeaders);
      if (page || ctx.path.startsWith('/interaction')) ctx.set('Cache-Control', 'no-store');
    },
  };
}

/** The same as a middleware of its own (for apps without the edge, such as test harnesses). */
export function securityHeaders(options: SecurityHeaderOptions): Middleware {
  const headers = securityHeaderSetter(options);
  return async (ctx, next) => {
    headers.set(ctx);
    await next();
    headers.finish(ctx);
  };
}
