import { createHash, createHmac } from 'node:crypto';
import { createCodeHasher, generateNumericCode } from '../../src/crypto/code-hash.js';
import { createSecretBox, deriveKey } from '../../src/crypto/secret-box.js';

const SECRET = 'a-master-secret-of-at-least-32-characters';

describe('code hasher (HMAC-SHA-256 under a key derived for codes)', () => {
  const hasher = createCodeHasher(SECRET);

  test('is HMAC-SHA-256 under deriveKey(secret, "codes") of the length-prefixed context and the code', () => {
    const context = 'email-code:account-1';
    const expected = createHmac('sha256', deriveKey(SECRET, 'codes'))
      .update(Buffer.from([0, 0, 0, context.length]))
      .update(context)
      .update('042917')
      .digest('base64url');
    expect(hasher.digest('042917', context)).toBe(expected);
  });

  test('is deterministic, and differs across codes, contexts and master secrets', () => {
    const digest = hasher.digest('042917', 'reset:a');
    expect(digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createCodeHasher(SECRET).digest('042917', 'reset:a')).toBe(digest);
    expect(hasher.digest('042918', 'reset:a')).not.toBe(digest);
    expect(hasher.digest('042917', 'reset:b')).not.toBe(digest);
    expect(createCodeHasher('another-master-secret-of-32-characters!!').digest('042917', 'reset:a')).not.toBe(digest);
  });

  test('is not the plain hash of the code, nor the secret box digest (a separate key)', () => {
    const digest = hasher.digest('042917', 'reset:a');
    expect(digest).not.toBe(createHash('sha256').update('042917').digest('base64url'));
    expect(digest).not.toBe(createHash('sha256').update('reset:a042917').digest('base64url'));
    expect(digest).not.toBe(createSecretBox(SECRET).digest('042917', 'reset:a'));
  });

  test('a context cannot be shifted into the code', () => {
    expect(hasher.digest('123456', 'key:a')).not.toBe(hasher.digest('23456', 'key:a1'));
    expect(hasher.digest('', 'key:a1')).not.toBe(hasher.digest('1', 'key:a'));
  });
});

describe('generateNumericCode', () => {
  /** A byte source that replays `bytes` (then fails, so a test cannot loop for ever). */
  const replay = (bytes: number[]) => {
    const queue = [...bytes];
    return (size: number) => {
      if (queue.length === 0) throw new Error('out of bytes');
      return Buffer.from(queue.splice(0, size));
    };
  };

  test('gives `digits` decimal digits, 6 by default', () => {
    expect(generateNumericCode()).toMatch(/^\d{6}$/);
    expect(generateNumericCode(8)).toMatch(/^\d{8}$/);
    expect(generateNumericCode(1)).toMatch(/^\d$/);
  });

  test('maps bytes below 250 to byte % 10 and keeps leading zeros', () => {
    expect(generateNumericCode(6, replay([0, 10, 249, 123, 45, 6]))).toBe('009356');
  });

  test('rejects bytes 250..255 instead of folding them in (no modulo bias), asking for more as needed', () => {
    expect(generateNumericCode(4, replay([250, 251, 252, 253, 254, 255, 255, 255, 7, 255, 8, 9, 250, 1]))).toBe('7891');
  });

  test('refuses a length it cannot give', () => {
    for (const digits of [0, -1, 1.5, 33, Number.NaN]) expect(() => generateNumericCode(digits)).toThrow(RangeError);
  });

  test('digits from the CSPRNG are uniform (chi-squared over 400,000 digits)', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 12_500; i++) for (const d of generateNumericCode(32)) counts[Number(d)]!++;
    const expected = 40_000;
    const chiSquared = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: a fair source exceeds 60 with probability ~1e-9; `byte % 10`
    // without rejection would score ~150 here (0–5 at 26/256 each, 6–9 at 25/256).
    expect(chiSquared).toBeLessThan(60);
  });
});
