import { randomUUID } from 'node:crypto';
import { describeBackends, shortLivedBackends, sleep } from './backends.js';

const backends = await shortLivedBackends();

const MINUTE = 60_000;
const newKey = () => `test:${randomUUID()}`;

describeBackends(backends, (stores) => {
  describe('CounterStore', () => {
    test('hit counts up and reports the previous hit time', async () => {
      const { counters } = stores();
      const key = newKey();
      const t0 = Date.now();
      expect(await counters.hit(key, t0, MINUTE)).toEqual({ count: 1, previousHitAt: null });
      expect(await counters.hit(key, t0 + 10, MINUTE)).toEqual({ count: 2, previousHitAt: t0 });
      expect(await counters.hit(key, t0 + 25, MINUTE)).toEqual({ count: 3, previousHitAt: t0 + 10 });
      expect(await counters.peek(key)).toBe(3);
    });

    test('peek of an unknown counter is 0, and counters are independent', async () => {
      const { counters } = stores();
      const [a, b] = [newKey(), newKey()];
      expect(await counters.peek(a)).toBe(0);
      await counters.hit(a, Date.now(), MINUTE);
      expect(await counters.peek(a)).toBe(1);
      expect(await counters.peek(b)).toBe(0);
    });

    test('a counter is forgotten ttl after its last hit', async () => {
      const { counters } = stores();
      const key = newKey();
      // Judged at explicit times (a loaded machine must not decide "still alive"); the life is
      // long enough in real time for the backend's own expiry not to interfere.
      const t0 = Date.now();
      await counters.hit(key, t0, 2_000);
      await counters.hit(key, t0 + 1_000, 2_000); // extends the life from this hit
      expect(await counters.peek(key, t0 + 2_500)).toBe(2);
      expect(await counters.peek(key, t0 + 3_001)).toBe(0);
      expect(await counters.hit(key, t0 + 3_001, 2_000)).toEqual({ count: 1, previousHitAt: null });
      // And in real time: the backend forgets it by itself.
      const short = newKey();
      await counters.hit(short, Date.now(), 100);
      await sleep(300);
      expect(await counters.peek(short)).toBe(0);
    });

    test('expiry is judged on the nowMs the caller passes (injected clocks)', async () => {
      const { counters } = stores();
      const key = newKey();
      const t0 = Date.now();
      await counters.hit(key, t0, MINUTE);
      expect(await counters.hit(key, t0 + MINUTE - 1, MINUTE)).toEqual({ count: 2, previousHitAt: t0 });
      expect(await counters.hit(key, t0 + 3 * MINUTE, MINUTE)).toEqual({ count: 1, previousHitAt: null });
    });

    test('reset forgets the counter', async () => {
      const { counters } = stores();
      const key = newKey();
      const now = Date.now();
      await counters.hit(key, now, MINUTE);
      await counters.hit(key, now, MINUTE);
      await counters.reset(key);
      expect(await counters.peek(key)).toBe(0);
      expect(await counters.hit(key, now, MINUTE)).toEqual({ count: 1, previousHitAt: null });
      await expect(counters.reset(newKey())).resolves.toBeUndefined();
    });

    test('50 parallel hits: final count 50 and each count 1..50 returned exactly once', async () => {
      const { counters } = stores();
      const key = newKey();
      const now = Date.now();
      const hits = await Promise.all(Array.from({ length: 50 }, () => counters.hit(key, now, MINUTE)));
      expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(hits.filter((h) => h.previousHitAt === null)).toHaveLength(1);
      expect(hits.find((h) => h.count === 1)?.previousHitAt).toBeNull();
      expect(await counters.peek(key)).toBe(50);
    });
  });

  describe('CounterStore.reserve / release', () => {
    const SECOND = 1000;
    /** Two free attempts, then 10 s, 20 s, then 40 s for ever; forgotten an hour after the last. */
    const limit = { free: 2, waitsMs: [10 * SECOND, 20 * SECOND, 40 * SECOND], ttlMs: 60 * MINUTE };

    test('counts the free attempts, then refuses until the wait after the last counted one has passed', async () => {
      const { counters } = stores();
      const key = newKey();
      const t0 = Date.now();
      expect(await counters.reserve(key, t0, limit)).toEqual({ ok: true, count: 1 });
      expect(await counters.reserve(key, t0 + 1, limit)).toEqual({ ok: true, count: 2 });
      expect(await counters.reserve(key, t0 + 2, limit)).toEqual({ ok: false, count: 2, retryAt: t0 + 1 + 10 * SECOND });
      expect(await counters.reserve(key, t0 + 1 + 10 * SECOND, limit)).toEqual({ ok: true, count: 3 });
      const t3 = t0 + 1 + 10 * SECOND;
      expect(await counters.reserve(key, t3 + 20 * SECOND - 1, limit)).toEqual({ ok: false, count: 3, retryAt: t3 + 20 * SECOND });
      expect(await counters.reserve(key, t3 + 20 * SECOND, limit)).toEqual({ ok: true, count: 4 });
      const t4 = t3 + 20 * SECOND;
      // The last wait repeats.
      expect(await counters.reserve(key, t4, limit)).toEqual({ ok: false, count: 4, retryAt: t4 + 40 * SECOND });
      expect(await counters.reserve(key, t4 + 40 * SECOND, limit)).toEqual({ ok: true, count: 5 });
      const t5 = t4 + 40 * SECOND;
      expect(await counters.reserve(key, t5 + 39 * SECOND, limit)).toEqual({ ok: false, count: 5, retryAt: t5 + 40 * SECOND });
      expect(await counters.peek(key, t5)).toBe(5);
    });

    test('a refused attempt changes nothing: it neither extends nor lengthens the wait', async () => {
      const { counters } = stores();
      const key = newKey();
      const t0 = Date.now();
      await counters.reserve(key, t0, limit);
      await counters.reserve(key, t0, limit);
      for (let s = 1; s < 10; s++) {
        expect(await counters.reserve(key, t0 + s * SECOND, limit)).toEqual({ ok: false, count: 2, retryAt: t0 + 10 * SECOND });
      }
      expect(await counters.peek(key, t0 + 9 * SECOND)).toBe(2);
      expect(await counters.reserve(key, t0 + 10 * SECOND, limit)).toEqual({ ok: true, count: 3 });
    });

    test('a counter is forgotten ttl after its last counted attempt; refused attempts do not keep it alive', async () => {
      const { counters } = stores();
      const key = newKey();
      const ipLike = { free: 2, waitsMs: [MINUTE], ttlMs: MINUTE };
      const t0 = Date.now();
      await counters.reserve(key, t0, ipLike);
      await counters.reserve(key, t0, ipLike);
      expect(await counters.reserve(key, t0 + MINUTE - 1, ipLike)).toEqual({ ok: false, count: 2, retryAt: t0 + MINUTE });
      expect(await counters.peek(key, t0 + MINUTE)).toBe(0);
      expect(await counters.reserve(key, t0 + MINUTE, ipLike)).toEqual({ ok: true, count: 1 });
    });

    test('release takes one attempt back, never below 0, and leaves the wait where it was', async () => {
      const { counters } = stores();
      const key = newKey();
      const t0 = Date.now();
      await counters.reserve(key, t0, limit);
      await counters.reserve(key, t0 + 5, limit);
      await counters.reserve(key, t0 + 10 * SECOND + 5, limit); // count 3, waits 20 s from here
      await counters.release(key, t0 + 10 * SECOND + 6);
      expect(await counters.peek(key, t0 + 10 * SECOND + 6)).toBe(2);
      // Back at 2: the wait after 2 (10 s) counts from the last counted attempt, which stays t0+10s+5.
      expect(await counters.reserve(key, t0 + 10 * SECOND + 7, limit)).toEqual({ ok: false, count: 2, retryAt: t0 + 20 * SECOND + 5 });
      for (let i = 0; i < 3; i++) await counters.release(key, t0 + 11 * SECOND);
      expect(await counters.peek(key, t0 + 11 * SECOND)).toBe(0);
      expect(await counters.reserve(key, t0 + 11 * SECOND, limit)).toEqual({ ok: true, count: 1 });
      await expect(counters.release(newKey(), t0)).resolves.toBeUndefined();
    });

    test('release of a forgotten counter does nothing', async () => {
      const { counters } = stores();
      const key = newKey();
      const t0 = Date.now();
      await counters.reserve(key, t0, { ...limit, ttlMs: MINUTE });
      await counters.release(key, t0 + MINUTE);
      expect(await counters.reserve(key, t0 + MINUTE, limit)).toEqual({ ok: true, count: 1 });
    });

    test('60 parallel reservations: exactly `free` are counted (1..free once each), the rest refused', async () => {
      const { counters } = stores();
      const key = newKey();
      const now = Date.now();
      const capped = { free: 17, waitsMs: [MINUTE], ttlMs: MINUTE };
      const results = await Promise.all(Array.from({ length: 60 }, () => counters.reserve(key, now, capped)));
      const counted = results.filter((r) => r.ok);
      expect(counted.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
      expect(results.filter((r) => !r.ok)).toEqual(Array(43).fill({ ok: false, count: 17, retryAt: now + MINUTE }));
      expect(await counters.peek(key, now)).toBe(17);
    });

    test('60 parallel reservations each followed by a release: back to 0, never refused', async () => {
      const { counters } = stores();
      const key = newKey();
      const now = Date.now();
      const wide = { free: 100, waitsMs: [MINUTE], ttlMs: MINUTE };
      const results = await Promise.all(
        Array.from({ length: 60 }, async () => {
          const reservation = await counters.reserve(key, now, wide);
          if (reservation.ok) await counters.release(key, now);
          return reservation.ok;
        }),
      );
      expect(results.every(Boolean)).toBe(true);
      expect(await counters.peek(key, now)).toBe(0);
    });

    test('refuses a limit it could not apply', async () => {
      const { counters } = stores();
      await expect(counters.reserve(newKey(), Date.now(), { free: 1, waitsMs: [], ttlMs: MINUTE })).rejects.toThrow(TypeError);
      await expect(counters.reserve(newKey(), Date.now(), { free: -1, waitsMs: [1], ttlMs: MINUTE })).rejects.toThrow(TypeError);
    });
  });
});
