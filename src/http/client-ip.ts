import { BlockList, isIP } from 'node:net';
import type { Context } from 'koa';
import type { TrustProxy } from '../config/schema.js';
import { canonicalIp } from '../config/trust-proxy.js';

/** What an entry that names no usable address becomes, so that it is never confused with a real IP. */
const UNKNOWN = 'unknown';
/** Bound on what a header entry can put into counter keys and logs. */
const MAX_ENTRY_LENGTH = 64;

/** One X-Forwarded-For entry (or socket address) as a canonical IP: port and brackets dropped, ::ffff: unmapped. */
function canonicalEntry(entry: string): string {
  let value = entry.trim();
  const bracketed = value.match(/^\[([^\]]+)\](?::\d+)?$/);
  if (bracketed) value = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  value = canonicalIp(value);
  if (isIP(value)) return value;
  return value ? value.slice(0, MAX_ENTRY_LENGTH) : UNKNOWN;
}

function forwardedEntries(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const joined = Array.isArray(header) ? header.join(',') : header;
  return joined
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(canonicalEntry);
}

function trustedProxyList(addresses: string[]): BlockList {
  const list = new BlockList();
  for (const entry of addresses) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

/**
 * Whether the socket peer is one of our proxies, whose X-Forwarded-* headers may be believed:
 * with `hops`, the peer is by definition the first trusted proxy.
 */
export function peerIsTrustedProxy(remoteAddress: string | undefined, trust: TrustProxy): boolean {
  if (trust.kind === 'none' || !remoteAddress) return false;
  if (trust.kind === 'hops') return true;
  const peer = canonicalEntry(remoteAddress);
  const family = isIP(peer);
  return family !== 0 && trustedProxyList(trust.addresses).check(peer, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The address of the client that made the request.
 *
 * Security rule "the client IP is never client-chosen": X-Forwarded-For is read from the
 * right, where our own proxies append, and only as far as the configured trust reaches.
 * Its leftmost entries are whatever the client sent, so they are never taken unless every
 * entry to their right was written by a trusted proxy.
 *
 * - none: the socket peer; the header is ignored.
 * - hops: the socket peer is the first of `hops` trusted proxies, and each appended the
 *   address it saw, so the client is the entry `hops` positions left of the peer. A chain
 *   shorter than that yields its leftmost entry (every entry there was written by a proxy).
 * - addresses: walk left from the peer while the address is a trusted proxy.
 */
export function resolveClientIp(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trust: TrustProxy,
): string {
  const peer = remoteAddress ? canonicalEntry(remoteAddress) : UNKNOWN;
  if (trust.kind === 'none') return peer;
  const chain = [...forwardedEntries(forwardedFor), peer];
  if (trust.kind === 'hops') return chain[Math.max(0, chain.length - 1 - trust.hops)]!;
  const trusted = trustedProxyList(trust.addresses);
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  let index = chain.length - 1;
  while (index > 0 && isTrusted(chain[index]!)) index--;
  return chain[index]!;
}

const CLIENT_IP = Symbol('clientIp');

/**
 * Makes Koa's `ctx.ip` (and `ctx.request.ip`) resolveClientIp's answer, on the app's request
 * prototype (every request's ctx.request inherits from it), so rate limits, lockout, audit
 * and logs all see the same, non-spoofable address. Worked out on the first read of each
 * request, not up front: the token endpoint and the other protocol requests never read it.
 * There is no setter: nothing may put another address in its place.
 */
export function answerWithClientIp(request: object, trust: TrustProxy): void {
  Object.defineProperty(request, 'ip', {
    get(this: { req: Context['req']; [CLIENT_IP]?: string }) {
      return (this[CLIENT_IP] ??= resolveClientIp(this.req.socket.remoteAddress, this.req.headers['x-forwarded-for'], trust));
    },
  });
}
