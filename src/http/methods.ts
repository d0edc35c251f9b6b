import type { Context } from 'koa';
import { AppError } from '../errors.js';

/** A route of the application: `:name` segments match any one non-empty segment. */
export interface RouteSpec {
  path: string;
  methods: readonly string[];
  /** The handler answers CORS preflights itself (node-oidc-provider's cross-origin endpoints). */
  preflight?: boolean;
}

interface CompiledRoute {
  segments: ReadonlyArray<string | null>;
  methods: ReadonlySet<string>;
  preflight: boolean;
}

/** What one path allows, from every route that matches it (e.g. /device/auth is also /device/:uid). */
export interface PathMethods {
  /** The methods handlers answer, with HEAD wherever GET is and OPTIONS everywhere. */
  allow: readonly string[];
  preflight: boolean;
}

// Both routers we mount (node-oidc-provider's and @koa/router) match paths case-insensitively
// and ignore one trailing slash; matching the same way keeps the guard's view of "this path
// exists" identical to theirs.
const segmentsOf = (path: string) => {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.toLowerCase().split('/');
};

function compile(spec: RouteSpec): CompiledRoute {
  const methods = new Set(spec.methods.map((m) => m.toUpperCase()));
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return {
    segments: segmentsOf(spec.path).map((segment) => (segment.startsWith(':') ? null : segment)),
    methods,
    preflight: spec.preflight ?? false,
  };
}

const matches = (route: CompiledRoute, parts: readonly string[]) =>
  route.segments.length === parts.length && route.segments.every((segment, i) => (segment === null ? parts[i] !== '' : segment === parts[i]));

/** Paths no route matches whose answer is remembered (the first ones asked for; never flushed). */
const REMEMBERED_MISSES = 256;

/** Looks paths up in a fixed route table. */
export function routeTable(routes: readonly RouteSpec[]): (path: string) => PathMethods | undefined {
  // Routes by segment count and first segment ("3/interaction"; "3/:" when it is a parameter),
  // so that a lookup compares a path with the few routes that could match it rather than with
  // all of them: every request is looked up, up to three times.
  const buckets = new Map<string, CompiledRoute[]>();
  const bucketKey = (length: number, head: string | null | undefined) => `${length}/${head ?? ':'}`;
  for (const route of routes.map(compile)) {
    const key = bucketKey(route.segments.length, route.segments[1]);
    buckets.set(key, [...(buckets.get(key) ?? []), route]);
  }
  const isFixed = (route: CompiledRoute) => route.segments.every((segment) => segment !== null);
  // Answers for paths in their canonical spelling are remembered when only fixed routes match
  // (/token, /auth: at most one entry per route) and, up to a bound, when none does (the app
  // asks "is /token one of ours?" on every token request; the bound, never flushed, keeps
  // client-chosen paths from growing it). Paths with ids (/interaction/<uid>) are endless and
  // are computed each time.
  const remembered = new Map<string, PathMethods | undefined>();
  let misses = 0;
  const candidates = (parts: readonly string[]) => {
    const found: CompiledRoute[] = [];
    for (const key of [bucketKey(parts.length, parts[1]), bucketKey(parts.length, null)]) {
      for (const route of buckets.get(key) ?? []) if (matches(route, parts) && !found.includes(route)) found.push(route);
    }
    return found;
  };
  return (path) => {
    if (remembered.has(path)) return remembered.get(path);
    const parts = segmentsOf(path);
    const found = candidates(parts);
    const canonical = path === parts.join('/');
    if (!found.length) {
      if (canonical && misses < REMEMBERED_MISSES) {
        misses++;
        remembered.set(path, undefined);
      }
      return undefined;
    }
    const allow = new Set(found.flatMap((route) => [...route.methods]));
    const result = { allow: [...allow].sort(), preflight: found.some((route) => route.preflight) };
    if (canonical && found.every(isFixed)) remembered.set(path, result);
    return result;
  };
}

/**
 * One answer for a method a path does not have, whichever router would have served it:
 * 405 with `Allow`, rendered like every other error (HTML page or JSON by Accept). Without
 * this, @koa/router answered bare-text 405/501 and node-oidc-provider's router fell through
 * to "Page not found" for paths that do exist. OPTIONS is answered here (204 and `Allow`),
 * except CORS preflights to the provider's cross-origin endpoints, which it answers itself.
 * Paths outside the table pass through untouched, to end as a 404 page. Returns true when
 * it answered the request itself (OPTIONS).
 */
export function methodGuard(routes: readonly RouteSpec[]): (ctx: Context) => boolean {
  const lookup = routeTable(routes);
  return (ctx) => {
    const found = lookup(ctx.path);
    if (!found) return false;
    const method = ctx.method.toUpperCase();
    if (method === 'OPTIONS') {
      if (found.preflight && ctx.get('Origin') && ctx.get('Access-Control-Request-Method')) return false;
      ctx.set('Allow', found.allow.join(', '));
      ctx.status = 204;
      return true;
    }
    if (found.allow.includes(method)) return false;
    ctx.set('Allow', found.allow.join(', '));
    throw new AppError('method_not_allowed', 405);
  };
}

/** The routes of a @koa/router router (its prefix included), for the guard's table. */
export function routesOf(router: { stack: ReadonlyArray<{ path: string | RegExp; methods: string[] }> }): RouteSpec[] {
  return router.stack
    .filter((layer): layer is { path: string; methods: string[] } => typeof layer.path === 'string' && layer.methods.length > 0)
    .map((layer) => ({ path: layer.path, methods: layer.methods }));
}
