import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditStore } from '../ports.js';
import type { MongoConnection } from './connection.js';
import type { AuditEventDoc, MongoModels } from './models.js';

const toEvent = (doc: AuditEventDoc): AuditEvent => ({
  id: doc.id,
  accountId: doc.accountId,
  type: doc.type,
  at: doc.at,
  actor: doc.actor as AuditEvent['actor'],
  actorName: doc.actorName ?? null,
  ip: doc.ip ?? null,
  userAgent: doc.userAgent ?? null,
  detail: doc.detail ?? null,
});

export function mongoAuditStore(mongo: MongoConnection, { auditEvents }: MongoModels): AuditStore {
  return {
    async append(event) {
      const doc: AuditEventDoc = { ...event, id: randomUUID(), at: Math.floor(event.at) };
      await mongo.run('audit event', () => auditEvents.create(doc));
      return toEvent(doc);
    },
    async listForAccount(accountId, limit) {
      // _id (an ObjectId, increasing per client) breaks ties between events of the same millisecond.
      const docs = await mongo.run('audit event', () =>
        auditEvents.find({ accountId }, { _id: 0 }).sort({ at: -1, _id: -1 }).limit(Math.max(0, Math.floor(limit))).lean<AuditEventDoc[]>(),
      );
      return docs.map(toEvent);
    },
  };
}
