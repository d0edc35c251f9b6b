import type { ConsentStore } from '../ports.js';
import type { SqliteDatabase } from './database.js';

export function sqliteConsentStore(db: SqliteDatabase): ConsentStore {
  const select = db.prepare<[string, string], { scopes: string }>(
    'SELECT scopes FROM consents WHERE account_id = ? AND client_id = ?',
  );
  const write = db.prepare(
    `INSERT INTO consents (account_id, client_id, scopes, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare('DELETE FROM consents WHERE account_id = ? AND client_id = ?');
  const merge = db.transaction((accountId: string, clientId: string, scopes: string[]) => {
    const current = select.get(accountId, clientId)?.scopes.split(' ') ?? [];
    const merged = [...new Set([...current, ...scopes])].filter(Boolean).sort();
    write.run(accountId, clientId, merged.join(' '), Date.now());
  });

  return {
    async find(accountId, clientId) {
      const row = select.get(accountId, clientId);
      return row ? row.scopes.split(' ').filter(Boolean) : null;
    },
    async grant(accountId, clientId, scopes) {
      merge.immediate(accountId, clientId, scopes);
    },
    async revoke(accountId, clientId) {
      remove.run(accountId, clientId);
    },
  };
}
