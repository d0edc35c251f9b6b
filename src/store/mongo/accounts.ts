import { randomUUID } from 'node:crypto';
import type { Account, AccountStore } from '../ports.js';
import type { MongoConnection } from './connection.js';
import type { AccountDoc, MongoModels } from './models.js';

const PROJECTION = { _id: 0, emailLower: 0 } as const;

function toAccount(doc: AccountDoc): Account {
  return {
    id: doc.id,
    email: doc.email,
    emailVerified: doc.emailVerified,
    name: doc.name ?? null,
    passwordHash: doc.passwordHash,
    disabled: doc.disabled,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    ...(typeof doc.sessionsValidAfter === 'number' ? { sessionsValidAfter: doc.sessionsValidAfter } : {}),
    ...(doc.enrolmentRequired === true ? { enrolmentRequired: true } : {}),
    ...(doc.passwordFromLink === true ? { passwordFromLink: true } : {}),
  };
}

export function mongoAccountStore(mongo: MongoConnection, { accounts }: MongoModels): AccountStore {
  return {
    async create(account) {
      const now = Date.now();
      const doc: AccountDoc = {
        id: randomUUID(),
        email: account.email,
        emailLower: account.email.toLowerCase(),
        emailVerified: account.emailVerified,
        name: account.name,
        passwordHash: account.passwordHash,
        disabled: false,
        createdAt: now,
        updatedAt: now,
      };
      // The unique index on emailLower is what rejects a taken email (error 11000).
      await mongo.run('An account with this email', () => accounts.create(doc));
      return toAccount(doc);
    },
    async findById(id) {
      const doc = await mongo.run('account', () => accounts.findOne({ id }, PROJECTION).lean<AccountDoc>());
      return doc ? toAccount(doc) : null;
    },
    async findByEmail(email) {
      const doc = await mongo.run('account', () =>
        accounts.findOne({ emailLower: email.toLowerCase() }, PROJECTION).lean<AccountDoc>(),
      );
      return doc ? toAccount(doc) : null;
    },
    async list() {
      const docs = await mongo.run('account', () =>
        accounts.find({}, PROJECTION).sort({ createdAt: 1, emailLower: 1 }).lean<AccountDoc[]>(),
      );
      return docs.map(toAccount);
    },
    async updatePassword(id, passwordHash, fromLink = false) {
      const now = Date.now();
      const result = await mongo.run('account', () =>
        accounts.updateOne({ id }, { $set: { passwordHash, updatedAt: now, sessionsValidAfter: now, passwordFromLink: fromLink } }),
      );
      return result.matchedCount === 1;
    },
    async confirmPassword(id) {
      const result = await mongo.run('account', () => accounts.updateOne({ id }, { $set: { passwordFromLink: false, updatedAt: Date.now() } }));
      return result.matchedCount === 1;
    },
    async endSessions(id) {
      const now = Date.now();
      const result = await mongo.run('account', () => accounts.updateOne({ id }, { $set: { updatedAt: now, sessionsValidAfter: now } }));
      return result.matchedCount === 1;
    },
    async setEnrolmentRequired(id, required) {
      const result = await mongo.run('account', () => accounts.updateOne({ id }, { $set: { enrolmentRequired: required, updatedAt: Date.now() } }));
      return result.matchedCount === 1;
    },
    async markEmailVerified(id) {
      const result = await mongo.run('account', () => accounts.updateOne({ id }, { $set: { emailVerified: true, updatedAt: Date.now() } }));
      return result.matchedCount === 1;
    },
  };
}
