import type { TrustProxy } from '../../src/config/schema.js';
import { answerWithClientIp, resolveClientIp } from '../../src/http/client-ip.js';

const none: TrustProxy = { kind: 'none' };
const hops = (n: number): TrustProxy => ({ kind: 'hops', hops: n });
const addresses = (...list: string[]): TrustProxy => ({ kind: 'addresses', addresses: list });

describe('resolveClientIp', () => {
  test('without trusted proxies: the socket peer, whatever X-Forwarded-For says', () => {
    expect(resolveClientIp('203.0.113.7', undefined, none)).toBe('203.0.113.7');
    expect(resolveClientIp('203.0.113.7', '198.51.100.1', none)).toBe('203.0.113.7');
    expect(resolveClientIp('2001:DB8::7', '198.51.100.1, 10.0.0.1', none)).toBe('2001:db8::7');
  });

  test('IPv4-mapped IPv6 addresses are the IPv4 address, in the peer and in the header', () => {
    expect(resolveClientIp('::ffff:203.0.113.7', undefined, none)).toBe('203.0.113.7');
    expect(resolveClientIp('::ffff:10.0.0.2', '::FFFF:198.51.100.1', hops(1))).toBe('198.51.100.1');
    expect(resolveClientIp('::ffff:10.0.0.2', '198.51.100.1', addresses('10.0.0.2'))).toBe('198.51.100.1');
  });

  test('one hop: the entry our proxy appended, never the client-chosen ones left of it', () => {
    expect(resolveClientIp('10.0.0.2', '203.0.113.7', hops(1))).toBe('203.0.113.7');
    expect(resolveClientIp('10.0.0.2', '1.1.1.1, 6.6.6.6, 203.0.113.7', hops(1))).toBe('203.0.113.7');
    // Several header lines are one list, in order.
    expect(resolveClientIp('10.0.0.2', ['1.1.1.1, 6.6.6.6', '203.0.113.7'], hops(1))).toBe('203.0.113.7');
  });

  test('two hops: the entry two positions left of the peer', () => {
    expect(resolveClientIp('10.0.0.2', '9.9.9.9, 203.0.113.7, 10.0.0.1', hops(2))).toBe('203.0.113.7');
  });

  test('fewer entries than hops: the leftmost entry (every one of them was written by a proxy)', () => {
    expect(resolveClientIp('10.0.0.2', '203.0.113.7', hops(3))).toBe('203.0.113.7');
    expect(resolveClientIp('10.0.0.2', undefined, hops(2))).toBe('10.0.0.2');
    expect(resolveClientIp('10.0.0.2', ' , ,', hops(1))).toBe('10.0.0.2');
  });

  test('IPv6 entries, with brackets and ports, and IPv4 entries with ports', () => {
    expect(resolveClientIp('10.0.0.2', '2001:DB8::1', hops(1))).toBe('2001:db8::1');
    expect(resolveClientIp('10.0.0.2', '[2001:db8::1]:4711', hops(1))).toBe('2001:db8::1');
    expect(resolveClientIp('10.0.0.2', '203.0.113.7:4711', hops(1))).toBe('203.0.113.7');
    expect(resolveClientIp('fd00::2', '2001:db8::1, fd00::1', addresses('fd00::1', 'fd00::2'))).toBe('2001:db8::1');
  });

  test('trusted addresses: walk left from the peer over trusted proxies only', () => {
    const trust = addresses('10.0.0.1', '10.0.0.2');
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, 203.0.113.7, 10.0.0.1', trust)).toBe('203.0.113.7');
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    expect(resolveClientIp('198.51.100.9', '203.0.113.7', trust)).toBe('198.51.100.9');
    // All trusted: the leftmost.
    expect(resolveClientIp('10.0.0.2', '10.0.0.1', trust)).toBe('10.0.0.1');
  });

  test('trusted subnets (CIDR)', () => {
    const trust = addresses('10.0.0.0/8', 'fd00::/8');
    expect(resolveClientIp('10.1.2.3', '6.6.6.6, 203.0.113.7, 10.9.9.9', trust)).toBe('203.0.113.7');
    expect(resolveClientIp('fd12::1', '2001:db8::5', trust)).toBe('2001:db8::5');
    expect(resolveClientIp('11.0.0.1', '203.0.113.7', trust)).toBe('11.0.0.1');
  });

  test('a spoofed leftmost entry never wins, however many are sent', () => {
    const spoofs = Array.from({ length: 50 }, (_, i) => `192.0.2.${i}`).join(', ');
    for (const trust of [hops(1), addresses('127.0.0.1')]) {
      expect(resolveClientIp('127.0.0.1', `${spoofs}, 203.0.113.7`, trust)).toBe('203.0.113.7');
    }
  });

  test('what is no address stays recognisable and bounded', () => {
    expect(resolveClientIp(undefined, undefined, none)).toBe('unknown');
    expect(resolveClientIp('10.0.0.2', 'x'.repeat(1000), hops(1))).toBe('x'.repeat(64));
    // Garbage is never taken for a trusted proxy.
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, garbage, 203.0.113.7', addresses('10.0.0.2', '203.0.113.7'))).toBe('garbage');
  });
});

describe('answerWithClientIp (ctx.ip on the request prototype)', () => {
  const requestFor = (proto: object, remoteAddress: string, forwardedFor?: string) =>
    Object.assign(Object.create(proto) as { ip: string }, {
      req: { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } },
    });

  test('each request reads the address resolveClientIp gives for its own socket and header', () => {
    const proto = {};
    answerWithClientIp(proto, hops(1));
    expect(requestFor(proto, '10.0.0.2', '6.6.6.6, 203.0.113.7').ip).toBe('203.0.113.7');
    expect(requestFor(proto, '10.0.0.3').ip).toBe('10.0.0.3');
    const direct = {};
    answerWithClientIp(direct, none);
    expect(requestFor(direct, '::ffff:203.0.113.9', '198.51.100.1').ip).toBe('203.0.113.9');
  });

  test('nothing can put another address in its place', () => {
    const proto = {};
    answerWithClientIp(proto, none);
    const request = requestFor(proto, '203.0.113.7');
    expect(() => {
      request.ip = '1.2.3.4';
    }).toThrow(TypeError);
    expect(request.ip).toBe('203.0.113.7');
  });
});
