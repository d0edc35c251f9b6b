import type { ClientMetadata, ClientStore } from '../ports.js';
import type { MongoConnection } from './connection.js';
import type { ClientDoc, MongoModels } from './models.js';

export function mongoClientStore(mongo: MongoConnection, { clients }: MongoModels): ClientStore {
  return {
    async create(metadata) {
      // JSON round trip: the stored document is exactly what SQLite would store (no undefined, no class instances).
      const stored = JSON.parse(JSON.stringify(metadata)) as ClientMetadata;
      await mongo.run(`Client ${metadata.client_id}`, () =>
        clients.create({ client_id: metadata.client_id, metadata: stored, createdAt: Date.now() }),
      );
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
      return result.matchedCount > 0;
    },
    async delete(clientId) {
      const result = await mongo.run('client', () => clients.deleteOne({ client_id: clientId }));
      return result.deletedCount > 0;
    },
  };
}
