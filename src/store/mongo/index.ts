import type { Connection } from 'mongoose';
import { BackendUnavailableError, type LongLivedStores } from '../ports.js';
import { mongoAccountStore } from './accounts.js';
import { mongoClientStore } from './clients.js';
import { isUnavailable, openMongo, type MongoConnectionOptions } from './connection.js';
import { mongoConsentStore } from './consents.js';
import { mongoFactorStore } from './factors.js';
import { defineModels } from './models.js';
import { mongoRecoveryCodeStore } from './recovery-codes.js';
import { mongoSecretStore } from './secrets.js';
import { mongoSubscriptionStore } from './subscriptions.js';
import { mongoBackupMethodStore } from './backup-methods.js';
import { mongoAuditStore } from './audit.js';

export type MongoStoreOptions = MongoConnectionOptions;

export interface MongoStores extends LongLivedStores {
  connection: Connection;
}

/**
 * The long-lived ports on a dedicated MongoDB connection. Returns at once; the connection
 * opens in the background and operations wait for it (failing closed when it cannot open).
 * The unique indexes the ports rely on must exist: run createMongoIndexes once per database.
 */
export function createMongoStores(uri: string, options: MongoStoreOptions = {}): MongoStores {
  const mongo = openMongo(uri, options);
  const models = defineModels(mongo.connection);
  return {
    accounts: mongoAccountStore(mongo, models),
    clients: mongoClientStore(mongo, models),
    consents: mongoConsentStore(mongo, models),
    secrets: mongoSecretStore(mongo, models),
    factors: mongoFactorStore(mongo, models),
    recoveryCodes: mongoRecoveryCodeStore(mongo, models),
    subscriptions: mongoSubscriptionStore(mongo, models),
    backupMethods: mongoBackupMethodStore(mongo, models),
    audit: mongoAuditStore(mongo, models),
    health: () => mongo.health(),
    close: () => mongo.close(),
    connection: mongo.connection,
  };
}

/**
 * Creates the collections' indexes (unique email, client_id, consent pair, secret name,
 * factor id and WebAuthn credential id; factors by account).
 * Additive: an index that exists is left alone, and no index is dropped. `connection` must
 * be the one createMongoStores returned, so the models are already defined on it.
 */
export async function createMongoIndexes(connection: Connection): Promise<string[]> {
  try {
    await connection.asPromise();
    const names = Object.keys(connection.models).sort();
    for (const name of names) await connection.models[name]!.createIndexes();
    return names;
  } catch (error) {
    if (isUnavailable(error)) throw new BackendUnavailableError('mongodb', error);
    throw error;
  }
}
