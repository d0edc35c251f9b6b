import type { RunResult } from 'better-sqlite3';
import { DuplicateError, type ClientMetadata, type ClientStore } from '../ports.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

export function sqliteClientStore(db: SqliteDatabase): ClientStore {
  const insert = db.prepare('INSERT INTO clients (client_id, metadata, created_at) VALUES (?, ?, ?)');
  const byId = db.prepare<[string], { metadata: string }>('SELECT metadata FROM clients WHERE client_id = ?');
  const all = db.prepare<[], { metadata: string }>('SELECT metadata FROM clients ORDER BY created_at, client_id');
  const replace = db.prepare('UPDATE clients SET metadata = ? WHERE client_id = ?');
  const remove = db.prepare('DELETE FROM clients WHERE client_id = ?');
  // Moved by triggers on clients (database.ts), in the writer's own transaction.
  const changes = db.prepare<[], number>('SELECT version FROM client_changes WHERE id = 1').pluck();
  // An in-memory database has one connection, this one, and every client write goes through
  // this store: counting here answers version() without a statement (read on every request).
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
      return db.memory ? `memory:${written}` : String(changes.get());
    },
  };
}
