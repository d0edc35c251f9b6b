import type { SecretStore } from '../ports.js';
import { isDuplicateKey, type MongoConnection } from './connection.js';
import type { MongoModels, SecretDoc } from './models.js';

export function mongoSecretStore(mongo: MongoConnection, { secrets }: MongoModels): SecretStore {
  // One atomic write: inserts the candidate only when the name is absent, returns what is stored.
  const getOrInsert = (name: string, candidate: string) =>
    secrets
      .findOneAndUpdate(
        { name },
        { $setOnInsert: { value: candidate, createdAt: Date.now() } },
        { upsert: true, returnDocument: 'after', projection: { _id: 0, value: 1 } },
      )
      .lean<Pick<SecretDoc, 'value'>>();

  return {
    async find(name) {
      const doc = await mongo.run('secret', () => secrets.findOne({ name }, { _id: 0, value: 1 }).lean<Pick<SecretDoc, 'value'>>());
      return doc?.value ?? null;
    },
    async getOrCreate(name, candidate) {
      const doc = await mongo.run('secret', async () => {
        try {
          return await getOrInsert(name, candidate);
        } catch (error) {
          // Concurrent upserts of a new name can both try to insert; the unique index makes
          // one fail with 11000, and by then the winner's document is there to be read.
          if (!isDuplicateKey(error)) throw error;
          return getOrInsert(name, candidate);
        }
      });
      if (!doc) throw new Error(`secret ${name} was neither found nor stored`);
      return doc.value;
    },
  };
}
