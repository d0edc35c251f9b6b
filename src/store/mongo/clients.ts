import type { ClientMetadata, ClientStore } from '../ports.js';
import type { MongoConnection } from './connection.js';
import type { ClientChangesDoc, ClientDoc, MongoModels } from './models.js';

const CHANGES_ID = 'clients';

export function mongoClientStore(mongo: MongoConnection, { clients, clientChanges }: MongoModels): ClientStore {
  // After the write, never before: an instance that reads the old version and then the new
  // client caches the new one, which is safe; bumping first could leave the old one cached.
  // (If this bump itself fails, the cache's maximum age bounds how long the old one lives.)
  const changed = () =>
    mongo.run('client', () => clientChanges.updateOne({ _id: CHANGES_ID }, { $inc: { version: 1 } }, { upsert: true }));
  return {
    async create(metadata) {
      // JSON round trip: the stored document is exactly what SQLite would store (no undefined, no class instances).
      const stored = JSON.parse(JSON.stringify(metadata)) as ClientMetadata;
      await mongo.run(`Client ${metadata.client_id}`, () =>
        clients.create({ client_id: metadata.client_id, metadata: stored, createdAt: Date.now() }),
      );
      await changed();
    },
    async find(clientId) {
      const doc = await mongo.run('client', () =>
        clients.findOne({ client_id: clientId }, { _id: 0, metadata: 1 }).lean<Pick<ClientDoc, 'metadata'>>(),
      );
      return doc ? (doc.metadata as ClientMetadata) : null;
    },
    async list() {
      const docs = await mongo.run('client', () =>
        clients
          .find({}, { _id: 0, metadata: 1 })
          .sort({ createdAt: 1, client_id: 1 })
          .lean<Pick<ClientDoc, 'metadata'>[]>(),
      );
      return docs.map((doc) => doc.metadata as ClientMetadata);
    },
    async update(metadata) {
      const stored = JSON.parse(JSON.stringify(metadata)) as ClientMetadata;
      const result = await mongo.run('client', () =>
        clients.updateOne({ client_id: metadata.client_id }, { $set: { metadata: stored } }),
      );
      if (result.matchedCount > 0) await changed();
      return result.matchedCount > 0;
    },
    async delete(clientId) {
      const result = await mongo.run('client', () => clients.deleteOne({ client_id: clientId }));
      if (result.deletedCount > 0) await changed();
      return result.deletedCount > 0;
    },
    async version() {
      const doc = await mongo.run('client', () =>
        clientChanges.findOne({ _id: CHANGES_ID }, { _id: 0, version: 1 }).lean<Pick<ClientChangesDoc, 'version'>>(),
      );
      return String(doc?.version ?? 0);
    },
  };
}
