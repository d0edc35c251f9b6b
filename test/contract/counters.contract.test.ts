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
      await counters.hit(key, Date.now(), 200);
      await sleep(100);
      await counters.hit(key, Date.now(), 200); // extends the life from this hit
      await sleep(150);
      expect(await counters.peek(key)).toBe(2);
      await sleep(200);
      expect(await counters.peek(key)).toBe(0);
      expect(await counters.hit(key, Date.now(), 200)).toEqual({ count: 1, previousHitAt: null });
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
});
