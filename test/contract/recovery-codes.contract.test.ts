import { randomUUID } from 'node:crypto';
import { describeBackends, longLivedBackends } from './backends.js';

const backends = await longLivedBackends();
const T0 = 1_700_000_000_000;
const digests = (tag: string) => Array.from({ length: 10 }, (_, i) => `${tag}-code-${i}`);

describeBackends(backends, (stores) => {
  describe('RecoveryCodeStore', () => {
    test('replace stores a set; get and remaining report it', async () => {
      const { recoveryCodes } = stores();
      const accountId = randomUUID();
      expect(await recoveryCodes.get(accountId)).toBeNull();
      expect(await recoveryCodes.remaining(accountId)).toEqual({ codes: 0, key: false });
      const generation = await recoveryCodes.replace(accountId, { recoveryKeyDigest: 'key-a', codeDigests: digests('a') }, T0);
      expect(generation).toBe(1);
      const set = await recoveryCodes.get(accountId);
      expect(set).toEqual({
        generation: 1,
        recoveryKeyDigest: 'key-a',
        createdAt: T0,
        codes: digests('a').map((digest, index) => ({ index, digest, usedAt: null })),
      });
      expect(await recoveryCodes.remaining(accountId)).toEqual({ codes: 10, key: true });
    });

    test('a code is consumed once and the count drops', async () => {
      const { recoveryCodes } = stores();
      const accountId = randomUUID();
      await recoveryCodes.replace(accountId, { recoveryKeyDigest: 'k', codeDigests: digests('a') }, T0);
      expect(await recoveryCodes.consumeCode(accountId, 'a-code-3', T0 + 1)).toBe(9);
      expect(await recoveryCodes.consumeCode(accountId, 'a-code-3', T0 + 2)).toBeNull();
      expect(await recoveryCodes.consumeCode(accountId, 'nope', T0 + 2)).toBeNull();
      expect(await recoveryCodes.consumeCode(randomUUID(), 'a-code-4', T0 + 2)).toBeNull();
      expect(await recoveryCodes.consumeCode(accountId, 'a-code-4', T0 + 3)).toBe(8);
      const set = await recoveryCodes.get(accountId);
      expect(set!.codes.find((c) => c.index === 3)!.usedAt).toBe(T0 + 1);
      expect(await recoveryCodes.remaining(accountId)).toEqual({ codes: 8, key: true });
    });

    test('parallel consumptions of one code: exactly one succeeds', async () => {
      const { recoveryCodes } = stores();
      const accountId = randomUUID();
      await recoveryCodes.replace(accountId, { recoveryKeyDigest: 'k', codeDigests: digests('a') }, T0);
      const results = await Promise.all(Array.from({ length: 50 }, () => recoveryCodes.consumeCode(accountId, 'a-code-0', T0)));
      expect(results.filter((r) => r !== null)).toEqual([9]);
      const keys = await Promise.all(Array.from({ length: 50 }, () => recoveryCodes.consumeRecoveryKey(accountId, 'k')));
      expect(keys.filter(Boolean)).toHaveLength(1);
    });

    test('the recovery key works once', async () => {
      const { recoveryCodes } = stores();
      const accountId = randomUUID();
      await recoveryCodes.replace(accountId, { recoveryKeyDigest: 'k', codeDigests: digests('a') }, T0);
      expect(await recoveryCodes.consumeRecoveryKey(accountId, 'wrong')).toBe(false);
      expect(await recoveryCodes.consumeRecoveryKey(accountId, 'k')).toBe(true);
      expect(await recoveryCodes.consumeRecoveryKey(accountId, 'k')).toBe(false);
      expect(await recoveryCodes.remaining(accountId)).toEqual({ codes: 10, key: false });
    });

    test('replace kills the old set at once', async () => {
      const { recoveryCodes } = stores();
      const accountId = randomUUID();
      await recoveryCodes.replace(accountId, { recoveryKeyDigest: 'k1', codeDigests: digests('a') }, T0);
      await recoveryCodes.consumeCode(accountId, 'a-code-0', T0);
      expect(await recoveryCodes.replace(accountId, { recoveryKeyDigest: 'k2', codeDigests: digests('b') }, T0 + 5)).toBe(2);
      expect(await recoveryCodes.consumeCode(accountId, 'a-code-1', T0)).toBeNull();
      expect(await recoveryCodes.consumeRecoveryKey(accountId, 'k1')).toBe(false);
      expect(await recoveryCodes.remaining(accountId)).toEqual({ codes: 10, key: true });
      expect(await recoveryCodes.consumeCode(accountId, 'b-code-0', T0)).toBe(9);
    });

    test('removeForAccount removes only that account’s set', async () => {
      const { recoveryCodes } = stores();
      const a = randomUUID();
      const b = randomUUID();
      await recoveryCodes.replace(a, { recoveryKeyDigest: 'k', codeDigests: digests('a') }, T0);
      await recoveryCodes.replace(b, { recoveryKeyDigest: 'k', codeDigests: digests('a') }, T0);
      expect(await recoveryCodes.removeForAccount(a)).toBe(1);
      expect(await recoveryCodes.removeForAccount(a)).toBe(0);
      expect(await recoveryCodes.get(a)).toBeNull();
      expect(await recoveryCodes.remaining(b)).toEqual({ codes: 10, key: true });
    });
  });
});
