import type { RecoveryCodeStore, RecoverySet } from '../ports.js';
import type { SqliteDatabase } from './database.js';

interface SetRow {
  generation: number;
  recovery_key_digest: string | null;
  created_at: number;
}
interface CodeRow {
  idx: number;
  digest: string;
  used_at: number | null;
}

export function sqliteRecoveryCodeStore(db: SqliteDatabase): RecoveryCodeStore {
  const getSet = db.prepare<[string], SetRow>('SELECT generation, recovery_key_digest, created_at FROM recovery_sets WHERE account_id = ?');
  const getCodes = db.prepare<[string], CodeRow>('SELECT idx, digest, used_at FROM recovery_codes WHERE account_id = ? ORDER BY idx');
  const upsertSet = db.prepare(
    `INSERT INTO recovery_sets (account_id, generation, recovery_key_digest, created_at) VALUES (@accountId, @generation, @key, @now)
     ON CONFLICT (account_id) DO UPDATE SET generation = @generation, recovery_key_digest = @key, created_at = @now`,
  );
  const deleteCodes = db.prepare('DELETE FROM recovery_codes WHERE account_id = ?');
  const deleteSet = db.prepare('DELETE FROM recovery_sets WHERE account_id = ?');
  const insertCode = db.prepare('INSERT INTO recovery_codes (account_id, generation, idx, digest, used_at) VALUES (?, ?, ?, ?, NULL)');
  // One conditional statement each: of parallel callers with the same digest exactly one changes a row.
  const useCode = db.prepare(
    `UPDATE recovery_codes SET used_at = @now
     WHERE rowid = (SELECT rowid FROM recovery_codes WHERE account_id = @accountId AND digest = @digest AND used_at IS NULL LIMIT 1)`,
  );
  const useKey = db.prepare('UPDATE recovery_sets SET recovery_key_digest = NULL WHERE account_id = ? AND recovery_key_digest = ?');
  const unused = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = ? AND used_at IS NULL');

  const replace = db.transaction((accountId: string, key: string, digests: string[], now: number) => {
    const generation = (getSet.get(accountId)?.generation ?? 0) + 1;
    deleteCodes.run(accountId);
    upsertSet.run({ accountId, generation, key, now });
    digests.forEach((digest, index) => insertCode.run(accountId, generation, index, digest));
    return generation;
  });
  const consume = db.transaction((accountId: string, digest: string, now: number) => {
    if (useCode.run({ accountId, digest, now }).changes !== 1) return null;
    return unused.get(accountId)!.n;
  });
  const remove = db.transaction((accountId: string) => {
    deleteCodes.run(accountId);
    return deleteSet.run(accountId).changes;
  });

  return {
    async replace(accountId, set, nowMs = Date.now()) {
      return replace(accountId, set.recoveryKeyDigest, set.codeDigests, Math.floor(nowMs));
    },
    async get(accountId): Promise<RecoverySet | null> {
      const row = getSet.get(accountId);
      if (!row) return null;
      return {
        generation: row.generation,
        recoveryKeyDigest: row.recovery_key_digest,
        createdAt: row.created_at,
        codes: getCodes.all(accountId).map((c) => ({ index: c.idx, digest: c.digest, usedAt: c.used_at })),
      };
    },
    async consumeCode(accountId, digest, nowMs = Date.now()) {
      return consume(accountId, digest, Math.floor(nowMs));
    },
    async consumeRecoveryKey(accountId, digest) {
      return useKey.run(accountId, digest).changes === 1;
    },
    async remaining(accountId) {
      const row = getSet.get(accountId);
      return { codes: row ? unused.get(accountId)!.n : 0, key: Boolean(row?.recovery_key_digest) };
    },
    async removeForAccount(accountId) {
      return remove(accountId);
    },
  };
}
