import { limiter } from '../../src/accounts/password.js';

/** A task that stays running until released, recording how many ran at once. */
function probe() {
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const task = () =>
    new Promise<void>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      releases.push(() => {
        running--;
        resolve();
      });
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { task, releases, settle, peak: () => peak, running: () => running };
}

describe('argon2 concurrency limit (accounts/password.ts)', () => {
  test('never more at once than the limit, the rest in arrival order', async () => {
    const p = probe();
    const run = limiter(() => 2);
    const order: number[] = [];
    const all = [0, 1, 2, 3, 4].map((i) => run(async () => (await p.task(), order.push(i))));
    await p.settle();
    expect(p.running()).toBe(2);
    while (p.releases.length) {
      p.releases.shift()!();
      await p.settle();
      expect(p.running()).toBeLessThanOrEqual(2);
    }
    await Promise.all(all);
    expect(p.peak()).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  test('the limit is read at each call: one fewer core (taskset, a CPU manager) means one fewer at once', async () => {
    const p = probe();
    let cores = 2;
    const run = limiter(() => cores);
    const all = [0, 1, 2, 3].map(() => run(p.task));
    await p.settle();
    expect(p.running()).toBe(2);
    cores = 1;
    // The first to finish frees its slot instead of handing it on: one runs from now on.
    p.releases.shift()!();
    await p.settle();
    expect(p.running()).toBe(1);
    for (;;) {
      const release = p.releases.shift();
      if (!release) break;
      release();
      await p.settle();
      expect(p.running()).toBeLessThanOrEqual(1);
    }
    await Promise.all(all);
  });
});
