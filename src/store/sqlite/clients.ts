import type { RunResult } from 'better-sqlite3';
import { DuplicateError, type ClientMetadata, type ClientStore } from '../ports.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

export function sqliteClientStore(db: SqliteDatabase): ClientStore {
  const insert = db.prepare('INSERT INTO clients (client_id, metadata, created_at) VALUES (?, ?, ?)');
  const byId = db.prepare<[string], { metadata: string }>('SELECT metadata FROM clients WHERE client_id = ?');
  const all = db.prepare<[], { metadata: string }>('SELECT metadata FROM clients ORDER BY created_at, client_id');
  const replace = db.prepare('UPDATE clients SET metadata = ? WHERE client_id = ?');
  const remove = db.prepare('DELETE FROM clients WHERE client_id = ?');
  // SQLite's data_version moves whenever another connection (the CLI, another process on the
  // file) commits anything, and never for this connection's own commits: those are the client
  // writes counted below, as every client write of this connection goes through this store.
  // A cheap read (no table is touched), made on every protocol request by the client cache.
  const foreignCommits = db.prepare<[], number>('PRAGMA data_version').pluck();
  let written = 0;
  const wrote = (result: RunResult) => {
    if (result.changes > 0) written += 1;
    return result;
  };

  return {
    async create(metadata) {
      try {
        wrote(insert.run(metadata.client_id, JSON.stringify(metadata), Date.now()));
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateError(`Client ${metadata.client_id}`);
        throw error;
      }
    },
    async find(clientId) {
      const row = byId.get(clientId);
      return row ? (JSON.parse(row.metadata) as ClientMetadata) : null;
    },
    async list() {
      return all.all().map((row) => JSON.parse(row.metadata) as ClientMetadata);
    },
    async update(metadata) {
      return wrote(replace.run(JSON.stringify(metadata), metadata.client_id)).changes > 0;
    },
    async delete(clientId) {
      return wrote(remove.run(clientId)).changes > 0;
    },
    async version() {
      return `${foreignCommits.get()}:${written}`;
    },
  };
}
