import { randomUUID } from 'node:crypto';
import { assertCounter, credentialIdOf, jsonData } from '../factor-args.js';
import type { Factor, FactorKind, FactorStore } from '../ports.js';
import type { MongoConnection } from './connection.js';
import type { FactorDoc, MongoModels } from './models.js';

const PROJECTION = { _id: 0, credentialId: 0 } as const;

function toFactor(doc: FactorDoc): Factor {
  return {
    id: doc.id,
    accountId: doc.accountId,
    kind: doc.kind as FactorKind,
    label: doc.label ?? null,
    data: doc.data,
    counter: doc.counter,
    createdAt: doc.createdAt,
    lastUsedAt: doc.lastUsedAt ?? null,
  };
}

export function mongoFactorStore(mongo: MongoConnection, { factors }: MongoModels): FactorStore {
  return {
    async create(factor, nowMs = Date.now()) {
      assertCounter(factor.counter);
      const credentialId = credentialIdOf(factor);
      const doc: FactorDoc = {
        id: randomUUID(),
        accountId: factor.accountId,
        kind: factor.kind,
        label: factor.label,
        data: jsonData(factor.data),
        ...(credentialId === null ? {} : { credentialId }),
        counter: factor.counter,
        createdAt: Math.floor(nowMs),
        lastUsedAt: null,
      };
      // The unique partial index on credentialId is what rejects a registered credential (error 11000).
      await mongo.run('A factor with this credential id', () => factors.create(doc));
      return toFactor(doc);
    },
    async listForAccount(accountId) {
      const docs = await mongo.run('factor', () =>
        factors.find({ accountId }, PROJECTION).sort({ createdAt: 1, id: 1 }).lean<FactorDoc[]>(),
      );
      return docs.map(toFactor);
    },
    async find(accountId, id) {
      const doc = await mongo.run('factor', () => factors.findOne({ accountId, id }, PROJECTION).lean<FactorDoc>());
      return doc ? toFactor(doc) : null;
    },
    async findByCredentialId(credentialId) {
      const doc = await mongo.run('factor', () =>
        factors.findOne({ credentialId, kind: 'webauthn' }, PROJECTION).lean<FactorDoc>(),
      );
      return doc ? toFactor(doc) : null;
    },
    async rename(accountId, id, label) {
      const result = await mongo.run('factor', () => factors.updateOne({ accountId, id }, { $set: { label } }));
      return result.matchedCount === 1;
    },
    async advanceCounter(accountId, id, value, nowMs) {
      assertCounter(value);
      // One conditional single-document update: MongoDB re-checks the filter on a write
      // conflict, so two callers with the same value cannot both match.
      const result = await mongo.run('factor', () =>
        factors.updateOne(
          { accountId, id, counter: { $lt: value } },
          { $set: { counter: value, lastUsedAt: Math.floor(nowMs) } },
        ),
      );
      return result.matchedCount === 1;
    },
    async remove(accountId, id) {
      const result = await mongo.run('factor', () => factors.deleteOne({ accountId, id }));
      return result.deletedCount === 1;
    },
    async removeAllForAccount(accountId) {
      const result = await mongo.run('factor', () => factors.deleteMany({ accountId }));
      return result.deletedCount;
    },
  };
}
