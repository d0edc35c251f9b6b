import { randomBytes } from 'node:crypto';
import { createDeviceTokens, DEVICE_TOKEN_MAX_AGE_MS, DEVICE_TOKENS_PER_BROWSER } from '../../src/accounts/device-tokens.js';
import { FixedClock, TestClock } from '../support/app.js';

const key = randomBytes(32);

describe('device tokens', () => {
  const clock = new TestClock();
  const tokens = createDeviceTokens({ key, clock });

  test('a token is found for the account it was issued for, with any casing of the email', () => {
    const token = tokens.issue('ada@example.com');
    const id = tokens.deviceFor([token], '  ADA@example.COM ');
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(tokens.deviceFor(['junk', token], 'ada@example.com')).toBe(id);
    expect(token).not.toContain('ada');
  });

  test('every token has its own device id', () => {
    const a = tokens.deviceFor([tokens.issue('ada@example.com')], 'ada@example.com');
    const b = tokens.deviceFor([tokens.issue('ada@example.com')], 'ada@example.com');
    expect(a).not.toBe(b);
  });

  test("another account's token is no token for this one", () => {
    expect(tokens.deviceFor([tokens.issue('grace@example.com')], 'ada@example.com')).toBeNull();
  });

  test('a token with any part changed is no token', () => {
    const token = tokens.issue('ada@example.com');
    const parts = token.split('.');
    for (let i = 0; i < parts.length; i++) {
      const changed = [...parts];
      const part = changed[i]!;
      changed[i] = part.slice(0, -1) + (part.endsWith('0') ? '1' : '0');
      expect(tokens.deviceFor([changed.join('.')], 'ada@example.com')).toBeNull();
    }
    // Grace's tag with Ada's signature and so on: the MAC covers the tag.
    const grace = tokens.issue('grace@example.com').split('.');
    expect(tokens.deviceFor([[parts[0], grace[1], grace[2], grace[3]].join('.')], 'ada@example.com')).toBeNull();
  });

  test('a token signed with another key is no token', () => {
    const other = createDeviceTokens({ key: randomBytes(32), clock });
    expect(tokens.deviceFor([other.issue('ada@example.com')], 'ada@example.com')).toBeNull();
  });

  test('a token expires 180 days after it was issued', () => {
    const own = new FixedClock();
    const aging = createDeviceTokens({ key, clock: own });
    const token = aging.issue('ada@example.com');
    own.advance(DEVICE_TOKEN_MAX_AGE_MS - 1);
    expect(aging.deviceFor([token], 'ada@example.com')).not.toBeNull();
    own.advance(1);
    expect(aging.deviceFor([token], 'ada@example.com')).toBeNull();
    expect(DEVICE_TOKEN_MAX_AGE_MS).toBe(180 * 24 * 60 * 60_000);
  });

  test('after a sign-in the browser keeps a fresh token for that account first, its other accounts after, at most 5', () => {
    const own = new FixedClock();
    const kept = createDeviceTokens({ key, clock: own });
    let jar: string[] = [];
    const emails = ['a@x.example', 'b@x.example', 'c@x.example', 'd@x.example', 'e@x.example', 'f@x.example'];
    for (const email of emails) {
      own.advance(1000);
      jar = kept.afterSignIn(jar, email);
    }
    expect(jar).toHaveLength(DEVICE_TOKENS_PER_BROWSER);
    // The oldest account (a) was dropped; the newest comes first.
    expect(kept.deviceFor(jar, 'a@x.example')).toBeNull();
    expect(kept.deviceFor([jar[0]!], 'f@x.example')).not.toBeNull();
    for (const email of emails.slice(1)) expect(kept.deviceFor(jar, email)).not.toBeNull();

    // Signing in again replaces that account's token rather than adding one.
    const before = kept.deviceFor(jar, 'c@x.example');
    jar = kept.afterSignIn([...jar, 'garbage'], 'c@x.example');
    expect(jar).toHaveLength(DEVICE_TOKENS_PER_BROWSER);
    expect(kept.deviceFor([jar[0]!], 'c@x.example')).not.toBe(before);
    expect(jar.filter((token) => kept.deviceFor([token], 'c@x.example') !== null)).toHaveLength(1);
    expect(jar).not.toContain('garbage');
  });
});
