import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { TrustProxy } from '../config/schema.js';
import type { CounterStore } from '../store/ports.js';
import { errorAnswers } from './error-handler.js';
import { methodGuard, type RouteSpec } from './methods.js';
import { originCheck, publicMetadataCaching } from './origin.js';
import { anonymousRateLimit } from './rate-limit.js';
import { securityHeaderSetter } from './security-headers.js';
import type { Views } from './views.js';

export interface EdgeDeps {
  issuer: string;
  trustProxy: TrustProxy;
  views: Views;
  logger: Logger;
  counters: CounterStore;
  clock: Clock;
  pageRateLimit: number;
  /** Every route the app answers (ours and the provider's): the method guard's table. */
  routes: readonly RouteSpec[];
  /** Paths that answer programs with JSON: they get the API set of security headers. */
  apiPaths: ReadonlySet<string>;
}

/**
 * What every request goes through before its handler, in this order: security headers,
 * the issuer-only origin, the anonymous page limit, the method guard;
 * then the handler; then error pages for whatever was thrown or left without a body, and
 * the caching headers. The steps live in their own modules; they run here as plain calls in
 * one middleware rather than as seven, because each middleware layer is a promise and a
 * microtask hop (and an async-hooks callback under node-oidc-provider's AsyncLocalStorage)
 * on every request, the token endpoint's included, which measurably slowed it.
 */
export function edge(deps: EdgeDeps, handle: Middleware): Middleware {
  const headers = securityHeaderSetter({ https: deps.issuer.startsWith('https:'), apiPaths: deps.apiPaths });
  const checkOrigin = originCheck(deps.issuer, deps.trustProxy);
  const limit = anonymousRateLimit({ counters: deps.counters, clock: deps.clock, perMinute: deps.pageRateLimit });
  const answeredMethod = methodGuard(deps.routes);
  const errors = errorAnswers(deps.views, deps.logger);
  const metadataCaching = publicMetadataCaching();

  return async (ctx, next) => {
    headers.set(ctx);
    try {
      checkOrigin(ctx);
      const limited = limit(ctx);
      if (limited) await limited;
      if (!answeredMethod(ctx)) await handle(ctx, next);
      errors.fillEmpty(ctx);
    } catch (error) {
      errors.answer(ctx, error);
    }
    metadataCaching(ctx);
    headers.finish(ctx);
  };
}
