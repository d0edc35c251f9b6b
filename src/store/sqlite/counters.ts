import { assertCounterLimit, waitAfterCount } from '../counter-limit.js';
import type { CounterStore, Reservation } from '../ports.js';
import type { SqliteDatabase } from './database.js';

interface CounterRow {
  count: number;
  last_hit_at: number;
  expires_at: number;
}

export function sqliteCounterStore(db: SqliteDatabase): CounterStore {
  const select = db.prepare<[string], CounterRow>('SELECT count, last_hit_at, expires_at FROM counters WHERE key = ?');
  const write = db.prepare(
    `INSERT INTO counters (key, count, last_hit_at, expires_at) VALUES (@key, @count, @now, @expiresAt)
     ON CONFLICT (key) DO UPDATE SET count = excluded.count, last_hit_at = excluded.last_hit_at, expires_at = excluded.expires_at`,
  );
  const remove = db.prepare('DELETE FROM counters WHERE key = ?');
  // One statement: atomic on its own.
  const decrement = db.prepare('UPDATE counters SET count = count - 1 WHERE key = ? AND expires_at > ? AND count > 0');

  // One immediate transaction makes read-increment-write a single atomic step, also across
  // processes sharing the file.
  const hit = db.transaction((key: string, now: number, ttlMs: number) => {
    const row = select.get(key);
    const alive = row && row.expires_at > now;
    const count = alive ? row.count + 1 : 1;
    write.run({ key, count, now, expiresAt: now + ttlMs });
    return { count, previousHitAt: alive ? row.last_hit_at : null };
  });

  const reserve = db.transaction((key: string, now: number, free: number, waitsMs: number[], ttlMs: number): Reservation => {
    const row = select.get(key);
    const current = row && row.expires_at > now ? row.count : 0;
    const wait = waitAfterCount({ free, waitsMs, ttlMs }, current);
    if (row && wait > 0 && row.last_hit_at + wait > now) {
      return { ok: false, count: current, retryAt: row.last_hit_at + wait };
    }
    write.run({ key, count: current + 1, now, expiresAt: now + ttlMs });
    return { ok: true, count: current + 1 };
  });

  return {
    async hit(key, nowMs, ttlMs) {
      return hit.immediate(key, nowMs, ttlMs);
    },
    async peek(key, nowMs = Date.now()) {
      const row = select.get(key);
      return row && row.expires_at > nowMs ? row.count : 0;
    },
    async reset(key) {
      remove.run(key);
    },
    async reserve(key, nowMs, limit) {
      assertCounterLimit(limit);
      return reserve.immediate(key, Math.floor(nowMs), limit.free, [...limit.waitsMs], limit.ttlMs);
    },
    async release(key, nowMs) {
      decrement.run(key, nowMs);
    },
  };
}
