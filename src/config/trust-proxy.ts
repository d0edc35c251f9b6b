import { isIP } from 'node:net';
import { z } from 'zod';
import type { TrustProxy } from './schema.js';

const MAX_HOPS = 20;

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it stands for; IPv6 lowercased. */
export function canonicalIp(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** `address` or `address/prefix` (CIDR), IPv4 or IPv6. */
function isAddressOrSubnet(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: how many proxies in front of Latchkey append to X-Forwarded-For (a number;
 * 'false'/'no' = 0 and 'true'/'yes' = 1 as before), or the comma-separated addresses
 * (or CIDR subnets) of those proxies.
 */
export const trustProxyFromEnv = z.string().transform((raw, ctx): TrustProxy => {
  const value = raw.trim().toLowerCase();
  if (value === 'false' || value === 'no') return { kind: 'none' };
  if (value === 'true' || value === 'yes') return { kind: 'hops', hops: 1 };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) {
      ctx.addIssue({ code: 'custom', message: `TRUST_PROXY counts proxy hops: at most ${MAX_HOPS}` });
      return z.NEVER;
    }
    return hops === 0 ? { kind: 'none' } : { kind: 'hops', hops };
  }
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !isAddressOrSubnet(entry));
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `TRUST_PROXY must be a number of proxy hops, true/false, or proxy addresses (IP or CIDR), comma-separated; not understood: ${bad.join(', ') || raw}`,
    });
    return z.NEVER;
  }
  return { kind: 'addresses', addresses: entries.map((entry) => (entry.includes('/') ? entry : canonicalIp(entry))) };
});
