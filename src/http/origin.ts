import type { Context } from 'koa';
import type { TrustProxy } from '../config/schema.js';
import { AppError } from '../errors.js';
import { peerIsTrustedProxy } from './client-ip.js';

/** Paths an orchestrator probes by pod address, so they answer whatever Host it sends. */
const HOST_AGNOSTIC_PATHS = new Set(['/healthz', '/readyz']);

interface IssuerOrigin {
  protocol: 'http' | 'https';
  /** host[:port] as a browser sends it in Host (default port omitted), lowercase. */
  host: string;
  hostname: string;
}

export function issuerOrigin(issuer: string): IssuerOrigin {
  const url = new URL(issuer);
  return { protocol: url.protocol === 'https:' ? 'https' : 'http', host: url.host.toLowerCase(), hostname: url.hostname.toLowerCase() };
}

/** The last (rightmost) entry of a comma-separated forwarding header: the one our nearest proxy wrote. */
function rightmost(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(',') : header;
  const entries = joined
    ?.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries?.length ? entries[entries.length - 1] : undefined;
}

/** Host with the scheme's default port dropped and lowercased, as `URL.host` would give it. */
function normalizeHost(host: string, protocol: string): string | undefined {
  try {
    return new URL(`${protocol}://${host}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Security rule "the issuer is the only origin": a request addressed to any other host
 * (Host, or X-Forwarded-Host from a trusted proxy) is refused with 421, and every request
 * sees the issuer's scheme and host (answerAsIssuer), so no generated URL can carry a host an
 * attacker chose. An https issuer behind a trusted proxy that says the client came over
 * plain http is refused too.
 */
export function originCheck(issuer: string, trust: TrustProxy): (ctx: Context) => void {
  const origin = issuerOrigin(issuer);
  // Parsing a Host with URL costs more than the rest of this check; clients send few distinct
  // values (bounded all the same: the header is the client's to choose).
  const normalized = new Map<string, string | undefined>();
  const normalize = (asked: string) => {
    if (normalized.has(asked)) return normalized.get(asked);
    const host = normalizeHost(asked, origin.protocol);
    if (normalized.size >= 100) normalized.clear();
    normalized.set(asked, host);
    return host;
  };
  return (ctx) => {
    if (!HOST_AGNOSTIC_PATHS.has(ctx.path)) {
      const headers = ctx.req.headers;
      const proxied = peerIsTrustedProxy(ctx.req.socket.remoteAddress, trust);
      const forwardedHost = proxied ? rightmost(headers['x-forwarded-host']) : undefined;
      const asked = forwardedHost ?? headers.host ?? (headers[':authority'] as string | undefined);
      if (!asked || normalize(asked) !== origin.host) throw new AppError('wrong_host', 421, { issuer });
      const forwardedProto = proxied ? rightmost(headers['x-forwarded-proto'])?.toLowerCase() : undefined;
      if (origin.protocol === 'https' && forwardedProto === 'http') throw new AppError('https_required', 400, { issuer });
    }
  };
}

/**
 * The other half of originCheck: Koa — and node-oidc-provider inside it, which builds discovery,
 * device `verification_uri` and redirect URLs from `ctx.href` — reads the request's scheme and
 * host from the issuer, never from the request; `secure`, `origin` and `href` derive from
 * them, so cookies get `Secure` exactly when the issuer is https. Set once on the app's
 * request prototype (every request's ctx.request inherits from it) rather than per request.
 */
export function answerAsIssuer(request: object, issuer: string): void {
  const origin = issuerOrigin(issuer);
  Object.defineProperties(request, {
    protocol: { value: origin.protocol },
    host: { value: origin.host },
    hostname: { value: origin.hostname },
  });
}

/**
 * Discovery and the JWKS are fetched by every relying party: let them (and shared caches)
 * keep a copy briefly. Safe to cache only because answerAsIssuer makes them host-independent.
 * Runs after the handler.
 */
export function publicMetadataCaching(maxAgeSeconds = 300): (ctx: Context) => void {
  const paths = new Set(['/.well-known/openid-configuration', '/jwks']);
  return (ctx) => {
    if (ctx.status === 200 && paths.has(ctx.path)) ctx.set('Cache-Control', `public, max-age=${maxAgeSeconds}`);
  };
}
