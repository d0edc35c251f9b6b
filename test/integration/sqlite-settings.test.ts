import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_FILE_CACHE_KIB, openSqlite } from '../../src/store/sqlite/database.js';

describe('SQLite connection settings (store/sqlite/database.ts)', () => {
  test('a database file: write-ahead log, and a page cache held to SQLITE_FILE_CACHE_KIB (the memory budget)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-sqlite-settings-'));
    try {
      const db = openSqlite(join(dir, 'latchkey.sqlite'));
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('cache_size', { simple: true })).toBe(-SQLITE_FILE_CACHE_KIB);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
