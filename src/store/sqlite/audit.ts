import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditStore } from '../ports.js';
import type { SqliteDatabase } from './database.js';

interface Row {
  id: string;
  account_id: string;
  type: string;
  at: number;
  actor: string;
  actor_name: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

const toEvent = (row: Row): AuditEvent => ({
  id: row.id,
  accountId: row.account_id,
  type: row.type,
  at: row.at,
  actor: row.actor as AuditEvent['actor'],
  actorName: row.actor_name,
  ip: row.ip,
  userAgent: row.user_agent,
  detail: row.detail,
});

export function sqliteAuditStore(db: SqliteDatabase): AuditStore {
  const insert = db.prepare(
    `INSERT INTO audit_events (id, account_id, type, at, actor, actor_name, ip, user_agent, detail)
     VALUES (@id, @accountId, @type, @at, @actor, @actorName, @ip, @userAgent, @detail)`,
  );
  // seq breaks ties between events of the same millisecond: newest first is insertion order reversed.
  const list = db.prepare<[string, number], Row>('SELECT * FROM audit_events WHERE account_id = ? ORDER BY at DESC, seq DESC LIMIT ?');
  return {
    async append(event) {
      const stored: AuditEvent = { ...event, id: randomUUID(), at: Math.floor(event.at) };
      insert.run(stored);
      return stored;
    },
    async listForAccount(accountId, limit) {
      return list.all(accountId, Math.max(0, Math.floor(limit))).map(toEvent);
    },
  };
}
