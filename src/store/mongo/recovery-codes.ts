import type { RecoveryCodeStore, RecoverySet } from '../ports.js';
import type { MongoConnection } from './connection.js';
import type { MongoModels, RecoverySetDoc } from './models.js';

const unusedOf = (doc: Pick<RecoverySetDoc, 'codes'>) => doc.codes.filter((c) => c.usedAt === null || c.usedAt === undefined).length;

export function mongoRecoveryCodeStore(mongo: MongoConnection, { recoverySets }: MongoModels): RecoveryCodeStore {
  return {
    async replace(accountId, set, nowMs = Date.now()) {
      // One document per account, replaced in one write: the old codes are gone with it.
      const doc = await mongo.run('recovery codes', () =>
        recoverySets
          .findOneAndUpdate(
            { accountId },
            {
              $inc: { generation: 1 },
              $set: {
                recoveryKeyDigest: set.recoveryKeyDigest,
                codes: set.codeDigests.map((digest, index) => ({ index, digest, usedAt: null })),
                createdAt: Math.floor(nowMs),
              },
            },
            { upsert: true, new: true, projection: { _id: 0, generation: 1 } },
          )
          .lean<{ generation: number }>(),
      );
      return doc!.generation;
    },
    async get(accountId): Promise<RecoverySet | null> {
      const doc = await mongo.run('recovery codes', () => recoverySets.findOne({ accountId }, { _id: 0 }).lean<RecoverySetDoc>());
      if (!doc) return null;
      return {
        generation: doc.generation,
        recoveryKeyDigest: doc.recoveryKeyDigest ?? null,
        createdAt: doc.createdAt,
        codes: doc.codes.map((c) => ({ index: c.index, digest: c.digest, usedAt: c.usedAt ?? null })),
      };
    },
    async consumeCode(accountId, digest, nowMs = Date.now()) {
      // The condition (an unused code with this digest) is in the filter: one atomic write decides.
      const doc = await mongo.run('recovery codes', () =>
        recoverySets
          .findOneAndUpdate(
            { accountId, codes: { $elemMatch: { digest, usedAt: null } } },
            { $set: { 'codes.$.usedAt': Math.floor(nowMs) } },
            { new: true, projection: { _id: 0, codes: 1 } },
          )
          .lean<Pick<RecoverySetDoc, 'codes'>>(),
      );
      return doc ? unusedOf(doc) : null;
    },
    async consumeRecoveryKey(accountId, digest) {
      const result = await mongo.run('recovery codes', () =>
        recoverySets.updateOne({ accountId, recoveryKeyDigest: digest }, { $set: { recoveryKeyDigest: null } }),
      );
      return result.modifiedCount === 1;
    },
    async remaining(accountId) {
      const doc = await mongo.run('recovery codes', () =>
        recoverySets.findOne({ accountId }, { _id: 0, codes: 1, recoveryKeyDigest: 1 }).lean<RecoverySetDoc>(),
      );
      return doc ? { codes: unusedOf(doc), key: Boolean(doc.recoveryKeyDigest) } : { codes: 0, key: false };
    },
    async removeForAccount(accountId) {
      const result = await mongo.run('recovery codes', () => recoverySets.deleteOne({ accountId }));
      return result.deletedCount;
    },
  };
}
