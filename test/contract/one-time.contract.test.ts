import { randomUUID } from 'node:crypto';
import { describeBackends, shortLivedBackends, sleep } from './backends.js';

const backends = await shortLivedBackends();

const MINUTE = 60_000;
const newKey = () => `test:${randomUUID()}`;
/** Stands in for a keyed hash: the store compares opaque strings. */
const newDigest = () => randomUUID();

describeBackends(backends, (stores) => {
  describe('OneTimeStore', () => {
    test('take with the stored digest succeeds once, and the value is gone', async () => {
      const { oneTime } = stores();
      const [key, digest, now] = [newKey(), newDigest(), Date.now()];
      await oneTime.put(key, digest, MINUTE, now);
      expect(await oneTime.take(key, digest, now)).toBe(true);
      expect(await oneTime.take(key, digest, now)).toBe(false);
      expect(await oneTime.take(newKey(), digest, now)).toBe(false);
    });

    test('peek tells a live value with this digest apart, and uses nothing up', async () => {
      const { oneTime } = stores();
      const [key, digest, now] = [newKey(), newDigest(), Date.now()];
      expect(await oneTime.peek(key, digest, now)).toBe(false);
      await oneTime.put(key, digest, MINUTE, now);
      expect(await oneTime.peek(key, digest, now)).toBe(true);
      expect(await oneTime.peek(key, newDigest(), now)).toBe(false);
      expect(await oneTime.peek(key, digest, now + MINUTE)).toBe(false);
      expect(await oneTime.take(key, digest, now)).toBe(true);
      expect(await oneTime.peek(key, digest, now)).toBe(false);
      // A claim holds no digest: nothing matches it.
      await oneTime.claim(key, MINUTE, now);
      expect(await oneTime.peek(key, digest, now)).toBe(false);
    });

    test('a wrong digest is refused and leaves the value in place', async () => {
      const { oneTime } = stores();
      const [key, digest, now] = [newKey(), newDigest(), Date.now()];
      await oneTime.put(key, digest, MINUTE, now);
      expect(await oneTime.take(key, newDigest(), now)).toBe(false);
      expect(await oneTime.take(key, digest.toUpperCase(), now)).toBe(false);
      expect(await oneTime.take(key, digest.slice(0, -1), now)).toBe(false);
      expect(await oneTime.take(key, digest, now)).toBe(true);
    });

    test('put replaces: the previous digest no longer matches (a resend voids the old code)', async () => {
      const { oneTime } = stores();
      const [key, first, second, now] = [newKey(), newDigest(), newDigest(), Date.now()];
      await oneTime.put(key, first, MINUTE, now);
      await oneTime.put(key, second, MINUTE, now + 1);
      expect(await oneTime.take(key, first, now + 2)).toBe(false);
      expect(await oneTime.take(key, second, now + 2)).toBe(true);
    });

    test('put replaces the expiry too: a short resend does not keep the old lifetime', async () => {
      const { oneTime } = stores();
      const [key, first, second, t0] = [newKey(), newDigest(), newDigest(), Date.now()];
      await oneTime.put(key, first, 10 * MINUTE, t0);
      await oneTime.put(key, second, MINUTE, t0);
      expect(await oneTime.take(key, second, t0 + MINUTE)).toBe(false);
    });

    test('expiry is judged on the nowMs the caller passes (injected clocks)', async () => {
      const { oneTime } = stores();
      const [live, expired, digest, t0] = [newKey(), newKey(), newDigest(), Date.now()];
      await oneTime.put(live, digest, MINUTE, t0);
      await oneTime.put(expired, digest, MINUTE, t0);
      expect(await oneTime.take(expired, digest, t0 + MINUTE)).toBe(false);
      expect(await oneTime.take(live, digest, t0 + MINUTE - 1)).toBe(true);
    });

    test('a value is forgotten ttl after it was put (default clock)', async () => {
      const { oneTime } = stores();
      const [key, digest] = [newKey(), newDigest()];
      await oneTime.put(key, digest, 100);
      await sleep(150);
      expect(await oneTime.take(key, digest)).toBe(false);
      expect(await oneTime.claim(key, 100)).toBe(true);
    });

    test('claim is set-if-absent: true once, false while live, true again once expired', async () => {
      const { oneTime } = stores();
      const [key, t0] = [newKey(), Date.now()];
      expect(await oneTime.claim(key, MINUTE, t0)).toBe(true);
      expect(await oneTime.claim(key, MINUTE, t0 + MINUTE - 1)).toBe(false);
      expect(await oneTime.claim(key, MINUTE, t0 + MINUTE)).toBe(true);
      // The second claim restarted the lifetime.
      expect(await oneTime.claim(key, MINUTE, t0 + 2 * MINUTE - 1)).toBe(false);
    });

    test('claim and put share one key space: a live value blocks a claim; a claim is never taken', async () => {
      const { oneTime } = stores();
      const [key, digest, t0] = [newKey(), newDigest(), Date.now()];
      await oneTime.put(key, digest, MINUTE, t0);
      expect(await oneTime.claim(key, MINUTE, t0)).toBe(false);
      // The refused claim changed nothing.
      expect(await oneTime.take(key, digest, t0)).toBe(true);

      const claimed = newKey();
      expect(await oneTime.claim(claimed, MINUTE, t0)).toBe(true);
      expect(await oneTime.take(claimed, digest, t0)).toBe(false);
      expect(await oneTime.claim(claimed, MINUTE, t0)).toBe(false);

      // An expired value does not block a claim.
      const stale = newKey();
      await oneTime.put(stale, digest, MINUTE, t0);
      expect(await oneTime.claim(stale, MINUTE, t0 + MINUTE)).toBe(true);
      expect(await oneTime.take(stale, digest, t0 + MINUTE)).toBe(false);
    });

    test('put over a claim stores a digest that can be taken', async () => {
      const { oneTime } = stores();
      const [key, digest, t0] = [newKey(), newDigest(), Date.now()];
      await oneTime.claim(key, MINUTE, t0);
      await oneTime.put(key, digest, MINUTE, t0);
      expect(await oneTime.take(key, digest, t0)).toBe(true);
    });

    test('delete removes a value or a claim; deleting nothing is fine', async () => {
      const { oneTime } = stores();
      const [key, claimed, digest, t0] = [newKey(), newKey(), newDigest(), Date.now()];
      await oneTime.put(key, digest, MINUTE, t0);
      await oneTime.delete(key);
      expect(await oneTime.take(key, digest, t0)).toBe(false);
      await oneTime.claim(claimed, MINUTE, t0);
      await oneTime.delete(claimed);
      expect(await oneTime.claim(claimed, MINUTE, t0)).toBe(true);
      await expect(oneTime.delete(newKey())).resolves.toBeUndefined();
    });

    test('keys are independent', async () => {
      const { oneTime } = stores();
      const [a, b, digest, t0] = [newKey(), newKey(), newDigest(), Date.now()];
      await oneTime.put(a, digest, MINUTE, t0);
      await oneTime.put(b, digest, MINUTE, t0);
      expect(await oneTime.take(a, digest, t0)).toBe(true);
      expect(await oneTime.take(b, digest, t0)).toBe(true);
    });

    test('refuses an empty digest and a ttl that is not positive', async () => {
      const { oneTime } = stores();
      await expect(oneTime.put(newKey(), '', MINUTE)).rejects.toThrow(TypeError);
      await expect(oneTime.take(newKey(), '')).rejects.toThrow(TypeError);
      await expect(oneTime.put(newKey(), newDigest(), 0)).rejects.toThrow(TypeError);
      await expect(oneTime.claim(newKey(), -1)).rejects.toThrow(TypeError);
      await expect(oneTime.claim(newKey(), Number.NaN)).rejects.toThrow(TypeError);
    });

    test('50 parallel takes of the right digest: exactly one succeeds', async () => {
      const { oneTime } = stores();
      const [key, digest, now] = [newKey(), newDigest(), Date.now()];
      await oneTime.put(key, digest, MINUTE, now);
      const results = await Promise.all(Array.from({ length: 50 }, () => oneTime.take(key, digest, now)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await oneTime.take(key, digest, now)).toBe(false);
    });

    test('50 parallel takes, half with wrong digests: exactly one succeeds, and it is a right one', async () => {
      const { oneTime } = stores();
      const [key, digest, now] = [newKey(), newDigest(), Date.now()];
      await oneTime.put(key, digest, MINUTE, now);
      const offered = Array.from({ length: 50 }, (_, i) => (i % 2 ? digest : newDigest()));
      const results = await Promise.all(offered.map((d) => oneTime.take(key, d, now)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(offered[results.indexOf(true)]).toBe(digest);
    });

    test('50 parallel claims: exactly one succeeds', async () => {
      const { oneTime } = stores();
      const [key, now] = [newKey(), Date.now()];
      const results = await Promise.all(Array.from({ length: 50 }, () => oneTime.claim(key, MINUTE, now)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
});
