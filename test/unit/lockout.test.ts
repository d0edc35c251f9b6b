import { failureLimit, ipLimit, LOCKOUT_POLICY, waitAfterFailures } from '../../src/accounts/lockout.js';
import { waitAfterCount } from '../../src/store/counter-limit.js';

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

describe('failureLimit: the schedule the counter store applies', () => {
  test('is waitAfterFailures for every count', () => {
    const limit = failureLimit();
    for (let failures = 0; failures <= 200; failures++) {
      expect([failures, waitAfterCount(limit, failures)]).toEqual([failures, waitAfterFailures(failures)]);
    }
    expect(waitAfterCount(limit, Number.MAX_SAFE_INTEGER)).toBe(15 * MINUTE);
  });

  test('5 free, 30 s doubling to 15 minutes, forgotten after a day', () => {
    expect(failureLimit()).toEqual({
      free: 5,
      waitsMs: [30 * SECOND, MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 15 * MINUTE],
      ttlMs: 24 * 60 * MINUTE,
    });
  });

  test('follows another policy, and stays bounded when the cap is never reached', () => {
    const policy = { ...LOCKOUT_POLICY, freeFailures: 2, firstWaitMs: 1, maxWaitMs: Number.MAX_SAFE_INTEGER };
    const limit = failureLimit(policy);
    expect(limit.waitsMs.length).toBeLessThanOrEqual(21);
    for (let failures = 0; failures <= 100; failures++) expect(waitAfterCount(limit, failures)).toBe(waitAfterFailures(failures, policy));
  });
});

describe('ipLimit', () => {
  test('100 attempts, then refused until the count is forgotten 15 minutes after the last one', () => {
    const limit = ipLimit();
    expect(limit.ttlMs).toBe(15 * MINUTE);
    expect(waitAfterCount(limit, 99)).toBe(0);
    expect(waitAfterCount(limit, 100)).toBe(15 * MINUTE);
    expect(waitAfterCount(limit, 1000)).toBe(15 * MINUTE);
  });
});
