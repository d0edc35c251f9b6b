import { createHmac } from 'node:crypto';
import { generateTotpSecret, totpUri, verifyTotp } from '../../src/factors/totp/totp.js';

/** The RFC 4226 / RFC 6238 (SHA-1) test seed, "12345678901234567890", in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_SEED = Buffer.from('12345678901234567890');
const STEP_MS = 30_000;

/** RFC 4226 §5.3 written out independently of otplib: the oracle for window tests. */
function hotp(key: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
}

describe('TOTP test vectors', () => {
  test('the base32 seed is the RFC seed', () => {
    expect(base32Decode(RFC_SECRET)).toEqual(RFC_SEED);
  });

  // RFC 6238 Appendix B, SHA-1 rows (8 digits): time (s), step, TOTP.
  const rfc6238: [number, number, string][] = [
    [59, 0x1, '94287082'],
    [1111111109, 0x23523ec, '07081804'],
    [1111111111, 0x23523ed, '14050471'],
    [1234567890, 0x273ef07, '89005924'],
    [2000000000, 0x3f940aa, '69279037'],
    [20000000000, 0x27bc86aa, '65353130'],
  ];

  test.each(rfc6238)('RFC 6238 at T=%i: step %i, code %s (8 digits)', (seconds, step, code) => {
    expect(verifyTotp(RFC_SECRET, code, seconds * 1000, { digits: 8 })).toBe(step);
  });

  test.each(rfc6238)('RFC 6238 at T=%i: step %i, the 6-digit code is the last 6 of %s', (seconds, step, code) => {
    expect(verifyTotp(RFC_SECRET, code.slice(2), seconds * 1000)).toBe(step);
    // An 8-digit code is not a 6-digit one.
    expect(verifyTotp(RFC_SECRET, code, seconds * 1000)).toBeNull();
  });

  // RFC 4226 Appendix D: HOTP values for counts 0..9, which are the TOTP codes of steps 0..9.
  const rfc4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

  test.each(rfc4226.map((code, count) => [count, code] as const))('RFC 4226 count %i: %s', (count, code) => {
    expect(hotp(RFC_SEED, count)).toBe(code);
    expect(verifyTotp(RFC_SECRET, code, count * STEP_MS + 12_345)).toBe(count);
  });
});

describe('verifyTotp window (±1 step)', () => {
  const step = 56_666_667;
  const code = (s: number) => hotp(RFC_SEED, s);
  // The oracle's codes for the five steps around `step` are distinct, so a match names its step.
  test('the codes around the step are distinct', () => {
    expect(new Set([-2, -1, 0, 1, 2].map((d) => code(step + d))).size).toBe(5);
  });

  for (const [where, nowMs] of [
    ['first', step * STEP_MS],
    ['last', step * STEP_MS + STEP_MS - 1],
  ] as const) {
    test(`at the ${where} millisecond of a step: the previous, current and next steps match, and no others`, () => {
      expect(verifyTotp(RFC_SECRET, code(step), nowMs)).toBe(step);
      expect(verifyTotp(RFC_SECRET, code(step - 1), nowMs)).toBe(step - 1);
      expect(verifyTotp(RFC_SECRET, code(step + 1), nowMs)).toBe(step + 1);
      expect(verifyTotp(RFC_SECRET, code(step - 2), nowMs)).toBeNull();
      expect(verifyTotp(RFC_SECRET, code(step + 2), nowMs)).toBeNull();
    });
  }

  test('one millisecond either side of the window', () => {
    // code(step + 1) is the next step's; 1 ms before the step starts it is two steps ahead.
    expect(verifyTotp(RFC_SECRET, code(step + 1), step * STEP_MS - 1)).toBeNull();
    // code(step - 1) is still accepted during step, and refused from the first ms of step + 1.
    expect(verifyTotp(RFC_SECRET, code(step - 1), (step + 1) * STEP_MS - 1)).toBe(step - 1);
    expect(verifyTotp(RFC_SECRET, code(step - 1), (step + 1) * STEP_MS)).toBeNull();
  });

  test('afterStep refuses steps already used and leaves later ones', () => {
    const nowMs = step * STEP_MS + 1000;
    expect(verifyTotp(RFC_SECRET, code(step), nowMs, { afterStep: step - 1 })).toBe(step);
    expect(verifyTotp(RFC_SECRET, code(step), nowMs, { afterStep: step })).toBeNull();
    expect(verifyTotp(RFC_SECRET, code(step - 1), nowMs, { afterStep: step - 1 })).toBeNull();
    expect(verifyTotp(RFC_SECRET, code(step + 1), nowMs, { afterStep: step })).toBe(step + 1);
    // At or past the end of the window nothing can match (and nothing throws).
    expect(verifyTotp(RFC_SECRET, code(step + 1), nowMs, { afterStep: step + 1 })).toBeNull();
    expect(verifyTotp(RFC_SECRET, code(step), nowMs, { afterStep: step + 100 })).toBeNull();
    // A new factor's counter (0) refuses nothing.
    expect(verifyTotp(RFC_SECRET, code(step), nowMs, { afterStep: 0 })).toBe(step);
  });
});

describe('verifyTotp input', () => {
  const step = 56_666_667;
  const nowMs = step * STEP_MS + 5000;
  const good = hotp(RFC_SEED, step);

  test('whitespace anywhere in a typed code is ignored', () => {
    for (const typed of [`${good.slice(0, 3)} ${good.slice(3)}`, ` ${good} `, `${good.slice(0, 2)} ${good.slice(2, 4)} ${good.slice(4)}`, `${good}\n`, `\t${good.slice(0, 3)}  ${good.slice(3)}`]) {
      expect(verifyTotp(RFC_SECRET, typed, nowMs)).toBe(step);
    }
  });

  test('anything but exactly six decimal digits is refused', () => {
    const malformed = [
      '',
      '   ',
      good.slice(0, 5),
      `${good}0`,
      `${good.slice(0, 5)}a`,
      'abcdef',
      `${good.slice(0, 3)}-${good.slice(3)}`,
      `+${good.slice(1)}`,
      // Fullwidth digits are digits to Unicode, not to an authenticator.
      [...good].map((d) => String.fromCharCode(0xff10 + Number(d))).join(''),
    ];
    for (const typed of malformed) expect(verifyTotp(RFC_SECRET, typed, nowMs)).toBeNull();
  });

  test('a wrong code of the right shape is refused', () => {
    const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotp(RFC_SECRET, wrong, nowMs)).toBeNull();
  });
});

describe('generateTotpSecret', () => {
  test('is 20 random bytes in unpadded base32, different every time', () => {
    const secrets = Array.from({ length: 20 }, () => generateTotpSecret());
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(base32Decode(secret)).toHaveLength(20);
    }
    expect(new Set(secrets).size).toBe(20);
  });

  test('verifies the codes an authenticator app computes from it', () => {
    const secret = generateTotpSecret();
    const nowMs = 1_750_000_000_000;
    const step = Math.floor(nowMs / STEP_MS);
    expect(verifyTotp(secret, hotp(base32Decode(secret), step), nowMs)).toBe(step);
  });
});

describe('totpUri', () => {
  test('builds the otpauth:// URI an authenticator app scans', () => {
    const uri = totpUri({ issuer: 'Latchkey Co', accountName: 'ada+mfa@example.com', secret: RFC_SECRET });
    expect(uri).toBe('otpauth://totp/Latchkey%20Co:ada%2Bmfa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Latchkey%20Co');
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(decodeURIComponent(parsed.pathname)).toBe('/Latchkey Co:ada+mfa@example.com');
    expect(parsed.searchParams.get('secret')).toBe(RFC_SECRET);
    expect(parsed.searchParams.get('issuer')).toBe('Latchkey Co');
  });

  test('refuses an empty or colon-bearing issuer or account name (the label would be ambiguous)', () => {
    for (const [issuer, accountName] of [['', 'ada@example.com'], ['Latchkey', ''], ['Latch:key', 'ada@example.com'], ['Latchkey', '"a:b"@example.com']]) {
      expect(() => totpUri({ issuer: issuer!, accountName: accountName!, secret: RFC_SECRET })).toThrow(TypeError);
    }
  });
});
