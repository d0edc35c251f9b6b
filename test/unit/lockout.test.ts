import { lockedUntil, waitAfterFailures } from '../../src/accounts/lockout.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('waitAfterFailures', () => {
  test('no wait below 5 consecutive failures', () => {
    expect([0, 1, 2, 3, 4].map((n) => waitAfterFailures(n))).toEqual([0, 0, 0, 0, 0]);
  });

  test('30 s at 5 failures, doubling with each further failure', () => {
    expect([5, 6, 7, 8, 9].map((n) => waitAfterFailures(n))).toEqual([30 * SECOND, 60 * SECOND, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE]);
  });

  test('capped at 15 minutes, however many failures', () => {
    expect(waitAfterFailures(10)).toBe(15 * MINUTE);
    expect(waitAfterFailures(11)).toBe(15 * MINUTE);
    expect(waitAfterFailures(50)).toBe(15 * MINUTE);
    expect(waitAfterFailures(1_000_000)).toBe(15 * MINUTE);
    expect(waitAfterFailures(Number.MAX_SAFE_INTEGER)).toBe(15 * MINUTE);
  });
});

describe('lockedUntil', () => {
  const now = 10_000_000;

  test('the first attempt and the attempts after fewer than 5 failures may proceed', () => {
    expect(lockedUntil({ count: 1, previousHitAt: null }, now)).toBeNull();
    for (let count = 2; count <= 5; count++) expect(lockedUntil({ count, previousHitAt: now - 1 }, now)).toBeNull();
  });

  test('the attempt after 5 failures waits 30 s from the previous attempt', () => {
    expect(lockedUntil({ count: 6, previousHitAt: now - 10 * SECOND }, now)).toBe(now + 20 * SECOND);
    expect(lockedUntil({ count: 6, previousHitAt: now - 30 * SECOND + 1 }, now)).toBe(now + 1);
  });

  test('may proceed once the wait has passed (exactly at its end too)', () => {
    expect(lockedUntil({ count: 6, previousHitAt: now - 30 * SECOND }, now)).toBeNull();
    expect(lockedUntil({ count: 6, previousHitAt: now - 31 * SECOND }, now)).toBeNull();
  });

  test('the wait doubles and is capped at 15 minutes', () => {
    expect(lockedUntil({ count: 7, previousHitAt: now }, now)).toBe(now + 60 * SECOND);
    expect(lockedUntil({ count: 8, previousHitAt: now }, now)).toBe(now + 2 * MINUTE);
    expect(lockedUntil({ count: 51, previousHitAt: now }, now)).toBe(now + 15 * MINUTE);
    expect(lockedUntil({ count: 51, previousHitAt: now - 15 * MINUTE - 1 }, now)).toBeNull();
  });

  test('a counter without a previous hit is never locked', () => {
    expect(lockedUntil({ count: 50, previousHitAt: null }, now)).toBeNull();
  });
});
