import { randomUUID } from 'node:crypto';
import type { JoinRequest, JoinRequestStatus, Subscription, SubscriptionMember, SubscriptionRole, SubscriptionStore } from '../ports.js';
import { assertDecision, registrationSuffix } from '../subscription-args.js';
import { isDuplicateKey, type MongoConnection } from './connection.js';
import type { JoinRequestDoc, MongoModels, SubscriptionDoc, SubscriptionMemberDoc } from './models.js';

const PROJECTION = { _id: 0 } as const;

const toSubscription = (doc: SubscriptionDoc): Subscription => ({
  id: doc.id,
  name: doc.name,
  ownerAccountId: doc.ownerAccountId,
  customerNumber: doc.customerNumber,
  registrationId: doc.registrationId,
  createdAt: doc.createdAt,
});

const toMember = (doc: SubscriptionMemberDoc): SubscriptionMember => ({
  subscriptionId: doc.subscriptionId,
  accountId: doc.accountId,
  role: doc.role as SubscriptionRole,
  joinedAt: doc.joinedAt,
});

const toRequest = (doc: JoinRequestDoc): JoinRequest => ({
  id: doc.id,
  subscriptionId: doc.subscriptionId,
  requesterAccountId: doc.requesterAccountId,
  status: doc.status as JoinRequestStatus,
  createdAt: doc.createdAt,
  decidedAt: doc.decidedAt ?? null,
});

export function mongoSubscriptionStore(mongo: MongoConnection, models: MongoModels): SubscriptionStore {
  const { subscriptions, subscriptionMembers, joinRequests } = models;
  const what = 'A subscription with this customer number or registration id';

  const insertMember = async (member: Omit<SubscriptionMember, 'joinedAt'>, nowMs: number): Promise<boolean> => {
    // The unique (subscriptionId, accountId) index refuses a second membership.
    const doc: SubscriptionMemberDoc = { ...member, joinedAt: Math.floor(nowMs) };
    try {
      await mongo.run('subscription member', async () => {
        try {
          await subscriptionMembers.create(doc);
        } catch (error) {
          if (isDuplicateKey(error)) throw new AlreadyMember();
          throw error;
        }
      });
      return true;
    } catch (error) {
      if (error instanceof AlreadyMember) return false;
      throw error;
    }
  };

  return {
    async create(subscription, nowMs = Date.now()) {
      const doc: SubscriptionDoc = {
        id: randomUUID(),
        ...subscription,
        registrationSuffix: registrationSuffix(subscription.registrationId),
        createdAt: Math.floor(nowMs),
      };
      // The unique indexes on customerNumber and registrationId reject a taken number (error 11000).
      await mongo.run(what, () => subscriptions.create(doc));
      await insertMember({ subscriptionId: doc.id, accountId: doc.ownerAccountId, role: 'owner' }, nowMs);
      return toSubscription(doc);
    },
    async find(id) {
      const doc = await mongo.run('subscription', () => subscriptions.findOne({ id }, PROJECTION).lean<SubscriptionDoc>());
      return doc ? toSubscription(doc) : null;
    },
    async findByCustomerNumber(customerNumber) {
      const doc = await mongo.run('subscription', () => subscriptions.findOne({ customerNumber: String(customerNumber) }, PROJECTION).lean<SubscriptionDoc>());
      return doc ? toSubscription(doc) : null;
    },
    async findByRegistrationId(registrationId) {
      const doc = await mongo.run('subscription', () => subscriptions.findOne({ registrationId: String(registrationId) }, PROJECTION).lean<SubscriptionDoc>());
      return doc ? toSubscription(doc) : null;
    },
    async findByRegistrationSuffix(suffix) {
      const docs = await mongo.run('subscription', () =>
        subscriptions.find({ registrationSuffix: String(suffix) }, PROJECTION).sort({ createdAt: 1, id: 1 }).lean<SubscriptionDoc[]>(),
      );
      return docs.map(toSubscription);
    },
    async list() {
      const docs = await mongo.run('subscription', () => subscriptions.find({}, PROJECTION).sort({ createdAt: 1, id: 1 }).lean<SubscriptionDoc[]>());
      return docs.map(toSubscription);
    },
    async members(subscriptionId) {
      const docs = await mongo.run('subscription member', () =>
        subscriptionMembers.find({ subscriptionId: String(subscriptionId) }, PROJECTION).sort({ joinedAt: 1, accountId: 1 }).lean<SubscriptionMemberDoc[]>(),
      );
      return docs.map(toMember);
    },
    async membershipsOf(accountId) {
      const docs = await mongo.run('subscription member', () =>
        subscriptionMembers.find({ accountId: String(accountId) }, PROJECTION).sort({ joinedAt: 1, subscriptionId: 1 }).lean<SubscriptionMemberDoc[]>(),
      );
      return docs.map(toMember);
    },
    addMember: (member, nowMs = Date.now()) => insertMember(member, nowMs),
    async createJoinRequest(request, nowMs = Date.now()) {
      const doc: JoinRequestDoc = { id: randomUUID(), ...request, status: 'pending', createdAt: Math.floor(nowMs), decidedAt: null };
      await mongo.run('join request', () => joinRequests.create(doc));
      return toRequest(doc);
    },
    async findJoinRequest(id) {
      const doc = await mongo.run('join request', () => joinRequests.findOne({ id: String(id) }, PROJECTION).lean<JoinRequestDoc>());
      return doc ? toRequest(doc) : null;
    },
    async joinRequestsOf(accountId) {
      const docs = await mongo.run('join request', () =>
        joinRequests.find({ requesterAccountId: String(accountId) }, PROJECTION).sort({ createdAt: 1, id: 1 }).lean<JoinRequestDoc[]>(),
      );
      return docs.map(toRequest);
    },
    async joinRequestsFor(subscriptionId) {
      const docs = await mongo.run('join request', () =>
        joinRequests.find({ subscriptionId: String(subscriptionId) }, PROJECTION).sort({ createdAt: 1, id: 1 }).lean<JoinRequestDoc[]>(),
      );
      return docs.map(toRequest);
    },
    async decide(id, status, nowMs = Date.now()) {
      assertDecision(status);
      // One conditional single-document update: of two callers, only one matches 'pending'.
      const doc = await mongo.run('join request', () =>
        joinRequests
          .findOneAndUpdate({ id: String(id), status: 'pending' }, { $set: { status, decidedAt: Math.floor(nowMs) } }, { new: true, projection: PROJECTION })
          .lean<JoinRequestDoc>(),
      );
      return doc ? toRequest(doc) : null;
    },
  };
}

class AlreadyMember extends Error {}
