import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { argon2BinaryFile, keptArgon2Blocks, keptArgon2BlocksRelease } from '../../src/accounts/argon2-patch.js';
import { ARGON2_PARAMS, argon2Hasher } from '../../src/accounts/password.js';

/**
 * Latchkey installs argon2 compiled from patches/argon2+*.patch (scripts/build-argon2.js, on
 * npm install): argon2id's working memory comes from blocks mapped outside malloc's heap and
 * kept for the next computation, instead of from malloc, where the freed 19 MiB was carved up
 * by later small allocations and a process could keep one more block's worth resident for
 * good (docs/architecture.md, "Dependency patches"). These fail if an install skipped it.
 */
describe('argon2 as Latchkey installs it (patches/)', () => {
  test('the binary argon2 loads is the patched one, and hashing through the password hasher uses its blocks', async () => {
    const hasher = argon2Hasher();
    const hash = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(hash, 'correct horse battery stapler')).toBe(false);
    // Other test files in this worker may have hashed at the same time, so only "some".
    expect(keptArgon2Blocks()).toBeGreaterThanOrEqual(1);
  });

  test('the password hasher hands the blocks back once no computation has run for its idle time', async () => {
    // Fake timers drive the idle deadline; the computations themselves run for real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const hasher = argon2Hasher({ releaseIdleBlocksAfterMs: 10_000 });
      const hash = await hasher.hash('correct horse battery staple');
      // Each computation moves the deadline: 27 s after the first, 9 s after the last, kept.
      for (let i = 0; i < 3; i++) {
        jest.advanceTimersByTime(9_000);
        expect(keptArgon2Blocks()).toBeGreaterThanOrEqual(1);
        expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
      }
      jest.advanceTimersByTime(9_999);
      expect(keptArgon2Blocks()).toBeGreaterThanOrEqual(1);
      jest.advanceTimersByTime(1);
      expect(keptArgon2Blocks()).toBe(0);
      // The next computation maps a block afresh, and the deadline works again after it.
      expect(await hasher.verify(hash, 'correct horse battery stapled')).toBe(false);
      expect(keptArgon2Blocks()).toBeGreaterThanOrEqual(1);
      jest.advanceTimersByTime(10_000);
      expect(keptArgon2Blocks()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  test('on one usable core the password hasher computes on the event loop, one computation per turn of it; on more, on the pool', async () => {
    /** Turns of the event loop while `work` runs, and the turn in which each of its results came. */
    const turnsDuring = async (work: (doneAt: (i: number) => void) => Promise<unknown>) => {
      let turn = 0;
      let spinning = true;
      const spin = () => {
        turn++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const at: number[] = [];
      const start = turn;
      await work((i) => (at[i] = turn));
      spinning = false;
      return { turns: turn - start, at };
    };
    const password = 'correct horse battery staple';
    const oneCore = argon2Hasher({ cores: () => 1 });
    const hash = await oneCore.hash(password);
    const guesses = [password, 'correct horse battery stapler', '$argon2id$v=19$m=1,t=2,p=1$AAAA$AAAA', password];
    const onLoop = await turnsDuring((doneAt) =>
      Promise.all(
        guesses.map(async (guess, i) => {
          const digest = i === 2 ? guess : hash;
          const ok = await oneCore.verify(digest, i === 2 ? password : guess);
          doneAt(i);
          return ok;
        }),
      ).then((results) => expect(results).toEqual([true, false, false, true])),
    );
    // Each computation held the loop for its whole run (a pool computation lets it spin
    // meanwhile), and each came in a turn of its own, so requests are handled between two.
    expect(onLoop.turns).toBeLessThanOrEqual(3 * guesses.length);
    expect(new Set(onLoop.at).size).toBe(guesses.length);

    const twoCores = argon2Hasher({ cores: () => 2 });
    const onPool = await turnsDuring(async () => expect(await twoCores.verify(hash, password)).toBe(true));
    expect(onPool.turns).toBeGreaterThan(10);
  });

  test('a fresh process maps a block only when every kept one is in use, reuses them, and keeps the newest size only', () => {
    // Its own process, so that no other test's computations are counted.
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(${JSON.stringify(join(process.cwd(), 'package.json'))});
      const argon2 = require('argon2');
      const binding = require(${JSON.stringify(argon2BinaryFile())});
      const kept = () => binding.latchkeyKeptBlocks();
      const params = ${JSON.stringify(ARGON2_PARAMS)};
      const seen = { start: kept() };
      const first = await argon2.hash('first password', params);
      seen.afterOne = kept();
      // Three at once on libuv's four threads: each holds a block while the others run.
      const slow = { ...params, timeCost: 6 };
      const together = await Promise.all(['a', 'b', 'c'].map((p) => argon2.hash('together ' + p, slow)));
      seen.afterThreeAtOnce = kept();
      for (let i = 0; i < 5; i++) await argon2.verify(first, 'first password');
      seen.afterFiveMore = kept();
      const smaller = await argon2.hash('smaller password', { ...params, memoryCost: 8192 });
      seen.afterOtherSize = kept();
      seen.verified = [
        await argon2.verify(first, 'first password'),
        await argon2.verify(together[1], 'together b'),
        await argon2.verify(smaller, 'smaller password'),
        await argon2.verify(first, 'first passwore'),
        await argon2.verify(together[2], 'together a'),
      ];
      seen.afterBack = kept();
      seen.released = binding.latchkeyReleaseKeptBlocks();
      seen.afterRelease = kept();
      seen.verifiedAfterRelease = await argon2.verify(first, 'first password');
      seen.afterVerifyAgain = kept();
      console.log(JSON.stringify(seen));`;
    const seen = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as {
      start: number;
      afterOne: number;
      afterThreeAtOnce: number;
      afterFiveMore: number;
      afterOtherSize: number;
      verified: boolean[];
      afterBack: number;
      released: number;
      afterRelease: number;
      verifiedAfterRelease: boolean;
      afterVerifyAgain: number;
    };
    expect(seen.start).toBe(0);
    expect(seen.afterOne).toBe(1);
    // Never more blocks than computations that ran at once; more than one when they overlapped.
    expect(seen.afterThreeAtOnce).toBeGreaterThanOrEqual(2);
    expect(seen.afterThreeAtOnce).toBeLessThanOrEqual(3);
    // One at a time reuses a kept block: no new one.
    expect(seen.afterFiveMore).toBe(seen.afterThreeAtOnce);
    // Another size (an older hash's parameters) does not stay resident beside the current ones.
    expect(seen.afterOtherSize).toBe(1);
    expect(seen.verified).toEqual([true, true, true, false, false]);
    expect(seen.afterBack).toBe(1);
    // Released blocks are gone; the next computation maps one again.
    expect(seen.released).toBe(1);
    expect(seen.afterRelease).toBe(0);
    expect(seen.verifiedAfterRelease).toBe(true);
    expect(seen.afterVerifyAgain).toBe(1);
  });

  test('the start-up check reports an unpatched or missing binary as undefined, and releasing there does nothing', () => {
    expect(keptArgon2Blocks(join(process.cwd(), 'no-such-dir', 'argon2.node'))).toBeUndefined();
    expect(keptArgon2BlocksRelease(join(process.cwd(), 'no-such-dir', 'argon2.node'))()).toBe(0);
    expect(keptArgon2Blocks(argon2BinaryFile())).toEqual(expect.any(Number));
  });
});
