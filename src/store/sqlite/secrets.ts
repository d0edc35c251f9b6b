import type { SecretStore } from '../ports.js';
import type { SqliteDatabase } from './database.js';

export function sqliteSecretStore(db: SqliteDatabase): SecretStore {
  const insert = db.prepare('INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)');
  const select = db.prepare<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?');
  return {
    async find(name) {
      return select.get(name)?.value ?? null;
    },
    async getOrCreate(name, candidate) {
      insert.run(name, candidate, Date.now());
      return select.get(name)!.value;
    },
  };
}
