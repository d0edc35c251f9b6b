import type { Context } from 'koa';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { CounterStore } from '../store/ports.js';

/** Browser-facing endpoints that anyone may call without credentials, and that create state (sessions, interactions). */
const ANONYMOUS_PATHS = /^\/(auth|device|session\/end|interaction|password|reset-2fa)(\/|$)/;

const WINDOW_MS = 60_000;

/**
 * Security rule "no storage growth from anonymous traffic": each client IP may make at
 * most `perMinute` requests a minute to the pages that create sessions or interactions.
 * The counter is shared by every instance (CounterStore) and keyed per fixed window so an
 * idle IP is forgotten after a minute.
 */
export function anonymousRateLimit(deps: { counters: CounterStore; clock: Clock; perMinute: number }): (ctx: Context) => Promise<void> | undefined {
  const { counters, clock, perMinute } = deps;
  const limit = async (ctx: Context) => {
    const now = clock.now();
    const window = Math.floor(now / WINDOW_MS);
    const { count } = await counters.hit(`ratelimit:pages:${ctx.ip}:${window}`, now, WINDOW_MS);
    if (count > perMinute) {
      ctx.set('Retry-After', String(Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)));
      throw new AppError('rate_limited', 429);
    }
  };
  // Nothing to wait for on every other path (the token endpoint among them).
  return (ctx) => (perMinute > 0 && ANONYMOUS_PATHS.test(ctx.path) ? limit(ctx) : undefined);
}
