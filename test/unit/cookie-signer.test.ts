import Cookies from 'cookies';
import { cookieSigner } from '../../src/crypto/cookie-signer.js';

// Signatures Keygrip 1.1 made for these keys and data (HMAC-SHA-1, base64url): cookies signed
// before the switch must stay valid.
const DATA = '_session=abc';
const BY_FIRST = 'yMYlMvLhQRTnbD0J3qs2CSO-Zyk';
const BY_SECOND = 'vXtniVajw4HeWgZTMEO-xT0ebR0';

describe('cookie signer (Keygrip-compatible signed cookies)', () => {
  const signer = cookieSigner(['first-key', 'second-key']);

  it('signs with the first key exactly as Keygrip did', () => {
    expect(signer.sign(DATA)).toBe(BY_FIRST);
    expect(cookieSigner(['second-key']).sign(DATA)).toBe(BY_SECOND);
  });

  it('accepts a signature by any key and says which (key rotation)', () => {
    expect(signer.index(DATA, BY_FIRST)).toBe(0);
    expect(signer.index(DATA, BY_SECOND)).toBe(1);
    expect(signer.verify(DATA, BY_SECOND)).toBe(true);
  });

  it('refuses other data, altered, shortened, longer, multibyte and missing signatures', () => {
    expect(signer.index('_session=abd', BY_FIRST)).toBe(-1);
    expect(signer.index(DATA, `${BY_FIRST.slice(0, -1)}A`)).toBe(-1);
    expect(signer.index(DATA, BY_FIRST.slice(0, -1))).toBe(-1);
    expect(signer.index(DATA, `${BY_FIRST}A`)).toBe(-1);
    // Same byte length as a real signature, other characters.
    expect(signer.index(DATA, `é${BY_FIRST.slice(2)}`)).toBe(-1);
    expect(signer.index(DATA, '')).toBe(-1);
    expect(signer.index(DATA, undefined as unknown as string)).toBe(-1);
    expect(signer.verify(DATA, 'x')).toBe(false);
  });

  it('refuses to start without keys', () => {
    expect(() => cookieSigner([])).toThrow(/Cookie keys/);
    expect(() => cookieSigner(['key', ''])).toThrow(/Cookie keys/);
  });

  it('is what the cookies package signs and checks with: a tampered value is dropped', () => {
    const setCookies: string[] = [];
    const res = { getHeader: () => setCookies, setHeader: (_: string, value: string[]) => setCookies.splice(0, setCookies.length, ...value) };
    const writer = new Cookies({ headers: {}, connection: {} } as never, res as never, { keys: signer });
    writer.set('_session', 'abc', { signed: true });
    const header = setCookies.map((c) => c.split(';')[0]).join('; ');
    expect(header).toBe(`_session=abc; _session.sig=${BY_FIRST}`);
    const reader = (cookie: string) => new Cookies({ headers: { cookie }, connection: {} } as never, res as never, { keys: signer });
    expect(reader(header).get('_session', { signed: true })).toBe('abc');
    expect(reader(header.replace('abc', 'abd')).get('_session', { signed: true })).toBeUndefined();
  });
});
