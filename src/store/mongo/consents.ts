import type { ConsentStore } from '../ports.js';
import { isDuplicateKey, type MongoConnection } from './connection.js';
import type { ConsentDoc, MongoModels } from './models.js';

export function mongoConsentStore(mongo: MongoConnection, { consents }: MongoModels): ConsentStore {
  const merge = (accountId: string, clientId: string, scopes: string[]) =>
    consents.updateOne(
      { accountId, clientId },
      { $addToSet: { scopes: { $each: scopes } }, $set: { updatedAt: Date.now() } },
      { upsert: true },
    );

  return {
    async find(accountId, clientId) {
      const doc = await mongo.run('consent', () =>
        consents.findOne({ accountId, clientId }, { _id: 0, scopes: 1 }).lean<Pick<ConsentDoc, 'scopes'>>(),
      );
      // Sorted like the SQLite adapter, so callers never depend on grant order.
      return doc ? [...doc.scopes].sort() : null;
    },
    async grant(accountId, clientId, scopes) {
      const wanted = scopes.filter(Boolean);
      await mongo.run('consent', async () => {
        try {
          await merge(accountId, clientId, wanted);
        } catch (error) {
          // Two first-time upserts raced on the unique (accountId, clientId) index: the loser
          // now finds the winner's document and merges into it.
          if (!isDuplicateKey(error)) throw error;
          await merge(accountId, clientId, wanted);
        }
      });
    },
    async revoke(accountId, clientId) {
      await mongo.run('consent', () => consents.deleteOne({ accountId, clientId }));
    },
  };
}
