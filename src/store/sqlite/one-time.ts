import { timingSafeEqual } from 'node:crypto';
import { assertDigest, nowOf, ttlOf } from '../one-time-args.js';
import type { OneTimeStore } from '../ports.js';
import type { SqliteDatabase } from './database.js';

interface OneTimeRow {
  digest: string | null;
  expires_at: number;
}

function sameDigest(stored: string, offered: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(offered);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Single-use secrets in the one_time table; a claim is a row without a digest. */
export function sqliteOneTimeStore(db: SqliteDatabase): OneTimeStore {
  const put = db.prepare(
    `INSERT INTO one_time (key, digest, expires_at) VALUES (@key, @digest, @expiresAt)
     ON CONFLICT (key) DO UPDATE SET digest = excluded.digest, expires_at = excluded.expires_at`,
  );
  const select = db.prepare<[string], OneTimeRow>('SELECT digest, expires_at FROM one_time WHERE key = ?');
  const remove = db.prepare('DELETE FROM one_time WHERE key = ?');
  // One statement, so atomic: the upsert only overwrites a row that has expired.
  const claim = db.prepare(
    `INSERT INTO one_time (key, digest, expires_at) VALUES (@key, NULL, @expiresAt)
     ON CONFLICT (key) DO UPDATE SET digest = NULL, expires_at = excluded.expires_at WHERE one_time.expires_at <= @now`,
  );

  // Compare-and-delete in one immediate transaction (atomic across processes sharing the
  // file), so the digest can be compared in constant time rather than by SQL equality.
  const take = db.transaction((key: string, digest: string, now: number): boolean => {
    const row = select.get(key);
    if (!row || row.digest === null || row.expires_at <= now || !sameDigest(row.digest, digest)) return false;
    remove.run(key);
    return true;
  });

  return {
    async put(key, digest, ttlMs, nowMs) {
      assertDigest(digest);
      put.run({ key, digest, expiresAt: nowOf(nowMs) + ttlOf(ttlMs) });
    },
    async take(key, digest, nowMs) {
      assertDigest(digest);
      return take.immediate(key, digest, nowOf(nowMs));
    },
    async peek(key, digest, nowMs) {
      assertDigest(digest);
      const row = select.get(key);
      return Boolean(row && row.digest !== null && row.expires_at > nowOf(nowMs) && sameDigest(row.digest, digest));
    },
    async claim(key, ttlMs, nowMs) {
      const now = nowOf(nowMs);
      return claim.run({ key, now, expiresAt: now + ttlOf(ttlMs) }).changes === 1;
    },
    async delete(key) {
      remove.run(key);
    },
  };
}

/** Deletes expired one-time rows; expiry is already enforced on read, this only reclaims space. */
export function sweepExpiredOneTime(db: SqliteDatabase, now = Date.now()): void {
  db.prepare('DELETE FROM one_time WHERE expires_at <= ?').run(now);
}
