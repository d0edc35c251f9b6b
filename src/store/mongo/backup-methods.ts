import type { BackupMethod, BackupMethodStore } from '../ports.js';
import type { MongoConnection } from './connection.js';
import type { BackupMethodDoc, MongoModels } from './models.js';

const toMethod = (doc: BackupMethodDoc): BackupMethod => ({
  accountId: doc.accountId,
  kind: doc.kind as BackupMethod['kind'],
  destination: doc.destination,
  channel: (doc.channel ?? null) as BackupMethod['channel'],
  verifiedAt: doc.verifiedAt,
});

export function mongoBackupMethodStore(mongo: MongoConnection, { backupMethods }: MongoModels): BackupMethodStore {
  return {
    async get(accountId) {
      const doc = await mongo.run('backup method', () => backupMethods.findOne({ accountId }, { _id: 0 }).lean<BackupMethodDoc>());
      return doc ? toMethod(doc) : null;
    },
    async set(method) {
      // One write that returns the document it replaced.
      const previous = await mongo.run('backup method', () =>
        backupMethods
          .findOneAndUpdate(
            { accountId: method.accountId },
            { $set: { kind: method.kind, destination: method.destination, channel: method.channel, verifiedAt: Math.floor(method.verifiedAt) } },
            { upsert: true, new: false, projection: { _id: 0 } },
          )
          .lean<BackupMethodDoc>(),
      );
      return previous ? toMethod(previous) : null;
    },
    async remove(accountId) {
      const previous = await mongo.run('backup method', () => backupMethods.findOneAndDelete({ accountId }, { projection: { _id: 0 } }).lean<BackupMethodDoc>());
      return previous ? toMethod(previous) : null;
    },
  };
}
