import { randomUUID } from 'node:crypto';
import { assertCounter, credentialIdOf, jsonData } from '../factor-args.js';
import { DuplicateError, type Factor, type FactorKind, type FactorStore } from '../ports.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

interface FactorRow {
  id: string;
  account_id: string;
  kind: string;
  label: string | null;
  data: string;
  counter: number;
  created_at: number;
  last_used_at: number | null;
}

const COLUMNS = 'id, account_id, kind, label, data, counter, created_at, last_used_at';

function toFactor(row: FactorRow): Factor {
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind as FactorKind,
    label: row.label,
    data: JSON.parse(row.data) as Record<string, unknown>,
    counter: row.counter,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function sqliteFactorStore(db: SqliteDatabase): FactorStore {
  const insert = db.prepare(
    `INSERT INTO factors (id, account_id, kind, label, data, credential_id, counter, created_at, last_used_at)
     VALUES (@id, @accountId, @kind, @label, @data, @credentialId, @counter, @now, NULL)`,
  );
  const byId = db.prepare<[string, string], FactorRow>(`SELECT ${COLUMNS} FROM factors WHERE account_id = ? AND id = ?`);
  const byAccount = db.prepare<[string], FactorRow>(
    `SELECT ${COLUMNS} FROM factors WHERE account_id = ? ORDER BY created_at, id`,
  );
  const byCredential = db.prepare<[string], FactorRow>(
    `SELECT ${COLUMNS} FROM factors WHERE credential_id = ? AND kind = 'webauthn'`,
  );
  const rename = db.prepare('UPDATE factors SET label = ? WHERE account_id = ? AND id = ?');
  // One conditional statement: two callers with the same value cannot both succeed.
  const advance = db.prepare(
    'UPDATE factors SET counter = @value, last_used_at = @now WHERE account_id = @accountId AND id = @id AND counter < @value',
  );
  const remove = db.prepare('DELETE FROM factors WHERE account_id = ? AND id = ?');
  const removeAll = db.prepare('DELETE FROM factors WHERE account_id = ?');

  return {
    async create(factor, nowMs = Date.now()) {
      assertCounter(factor.counter);
      const credentialId = credentialIdOf(factor);
      const id = randomUUID();
      try {
        insert.run({
          id,
          accountId: factor.accountId,
          kind: factor.kind,
          label: factor.label,
          data: JSON.stringify(jsonData(factor.data)),
          credentialId,
          counter: factor.counter,
          now: Math.floor(nowMs),
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateError('A factor with this credential id');
        throw error;
      }
      return toFactor(byId.get(factor.accountId, id)!);
    },
    async listForAccount(accountId) {
      return byAccount.all(accountId).map(toFactor);
    },
    async find(accountId, id) {
      const row = byId.get(accountId, id);
      return row ? toFactor(row) : null;
    },
    async findByCredentialId(credentialId) {
      const row = byCredential.get(credentialId);
      return row ? toFactor(row) : null;
    },
    async rename(accountId, id, label) {
      return rename.run(label, accountId, id).changes === 1;
    },
    async advanceCounter(accountId, id, value, nowMs) {
      assertCounter(value);
      return advance.run({ accountId, id, value, now: Math.floor(nowMs) }).changes === 1;
    },
    async remove(accountId, id) {
      return remove.run(accountId, id).changes === 1;
    },
    async removeAllForAccount(accountId) {
      return removeAll.run(accountId).changes;
    },
  };
}
