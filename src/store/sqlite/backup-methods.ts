import type { BackupMethod, BackupMethodStore } from '../ports.js';
import type { SqliteDatabase } from './database.js';

interface Row {
  account_id: string;
  kind: string;
  destination: string;
  channel: string | null;
  verified_at: number;
}

const toMethod = (row: Row): BackupMethod => ({
  accountId: row.account_id,
  kind: row.kind as BackupMethod['kind'],
  destination: row.destination,
  channel: row.channel as BackupMethod['channel'],
  verifiedAt: row.verified_at,
});

export function sqliteBackupMethodStore(db: SqliteDatabase): BackupMethodStore {
  const get = db.prepare<[string], Row>('SELECT * FROM backup_methods WHERE account_id = ?');
  const upsert = db.prepare(
    `INSERT INTO backup_methods (account_id, kind, destination, channel, verified_at) VALUES (@accountId, @kind, @destination, @channel, @verifiedAt)
     ON CONFLICT (account_id) DO UPDATE SET kind = @kind, destination = @destination, channel = @channel, verified_at = @verifiedAt`,
  );
  const del = db.prepare<[string]>('DELETE FROM backup_methods WHERE account_id = ?');
  // Read and write in one transaction: the method replaced is the one the write replaced.
  const replace = db.transaction((method: BackupMethod) => {
    const previous = get.get(method.accountId);
    upsert.run({ ...method, verifiedAt: Math.floor(method.verifiedAt) });
    return previous ? toMethod(previous) : null;
  });
  const remove = db.transaction((accountId: string) => {
    const previous = get.get(accountId);
    del.run(accountId);
    return previous ? toMethod(previous) : null;
  });
  return {
    async get(accountId) {
      const row = get.get(accountId);
      return row ? toMethod(row) : null;
    },
    async set(method) {
      return replace(method);
    },
    async remove(accountId) {
      return remove(accountId);
    },
  };
}
