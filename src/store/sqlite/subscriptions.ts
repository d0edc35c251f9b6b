import { randomUUID } from 'node:crypto';
import type { JoinRequest, JoinRequestStatus, Subscription, SubscriptionMember, SubscriptionRole, SubscriptionStore } from '../ports.js';
import { DuplicateError } from '../ports.js';
import { assertDecision, registrationSuffix } from '../subscription-args.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';

interface SubscriptionRow {
  id: string;
  name: string;
  owner_account_id: string;
  customer_number: string;
  registration_id: string;
  created_at: number;
}

interface MemberRow {
  subscription_id: string;
  account_id: string;
  role: string;
  joined_at: number;
}

interface RequestRow {
  id: string;
  subscription_id: string;
  requester_account_id: string;
  status: string;
  created_at: number;
  decided_at: number | null;
}

const SUBSCRIPTION_COLUMNS = 'id, name, owner_account_id, customer_number, registration_id, created_at';
const REQUEST_COLUMNS = 'id, subscription_id, requester_account_id, status, created_at, decided_at';

const toSubscription = (row: SubscriptionRow): Subscription => ({
  id: row.id,
  name: row.name,
  ownerAccountId: row.owner_account_id,
  customerNumber: row.customer_number,
  registrationId: row.registration_id,
  createdAt: row.created_at,
});

const toMember = (row: MemberRow): SubscriptionMember => ({
  subscriptionId: row.subscription_id,
  accountId: row.account_id,
  role: row.role as SubscriptionRole,
  joinedAt: row.joined_at,
});

const toRequest = (row: RequestRow): JoinRequest => ({
  id: row.id,
  subscriptionId: row.subscription_id,
  requesterAccountId: row.requester_account_id,
  status: row.status as JoinRequestStatus,
  createdAt: row.created_at,
  decidedAt: row.decided_at,
});


export function sqliteSubscriptionStore(db: SqliteDatabase): SubscriptionStore {
  const insert = db.prepare(
    `INSERT INTO subscriptions (id, name, owner_account_id, customer_number, registration_id, registration_suffix, created_at)
     VALUES (@id, @name, @ownerAccountId, @customerNumber, @registrationId, @suffix, @now)`,
  );
  const insertMember = db.prepare(
    'INSERT OR IGNORE INTO subscription_members (subscription_id, account_id, role, joined_at) VALUES (@subscriptionId, @accountId, @role, @now)',
  );
  const byId = db.prepare<[string], SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?`);
  const byCustomer = db.prepare<[string], SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE customer_number = ?`);
  const byRegistration = db.prepare<[string], SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE registration_id = ?`);
  const bySuffix = db.prepare<[string], SubscriptionRow>(
    `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE registration_suffix = ? ORDER BY created_at, id`,
  );
  const all = db.prepare<[], SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY created_at, id`);
  const members = db.prepare<[string], MemberRow>(
    'SELECT subscription_id, account_id, role, joined_at FROM subscription_members WHERE subscription_id = ? ORDER BY joined_at, account_id',
  );
  const memberships = db.prepare<[string], MemberRow>(
    'SELECT subscription_id, account_id, role, joined_at FROM subscription_members WHERE account_id = ? ORDER BY joined_at, subscription_id',
  );
  const insertRequest = db.prepare(
    `INSERT INTO subscription_join_requests (id, subscription_id, requester_account_id, status, created_at, decided_at)
     VALUES (@id, @subscriptionId, @requesterAccountId, 'pending', @now, NULL)`,
  );
  const requestById = db.prepare<[string], RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM subscription_join_requests WHERE id = ?`);
  const requestsOf = db.prepare<[string], RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM subscription_join_requests WHERE requester_account_id = ? ORDER BY created_at, id`,
  );
  const requestsFor = db.prepare<[string], RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM subscription_join_requests WHERE subscription_id = ? ORDER BY created_at, id`,
  );
  // One conditional statement: of two callers deciding the same request, one changes it.
  const decide = db.prepare<{ id: string; status: string; now: number }, RequestRow>(
    `UPDATE subscription_join_requests SET status = @status, decided_at = @now WHERE id = @id AND status = 'pending'
     RETURNING ${REQUEST_COLUMNS}`,
  );

  const createWithOwner = db.transaction((row: Record<string, unknown>) => {
    insert.run(row);
    insertMember.run({ subscriptionId: row.id, accountId: row.ownerAccountId, role: 'owner', now: row.now });
  });

  return {
    async create(subscription, nowMs = Date.now()) {
      const id = randomUUID();
      try {
        createWithOwner({ id, ...subscription, suffix: registrationSuffix(subscription.registrationId), now: Math.floor(nowMs) });
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateError('A subscription with this customer number or registration id');
        throw error;
      }
      return toSubscription(byId.get(id)!);
    },
    async find(id) {
      const row = byId.get(id);
      return row ? toSubscription(row) : null;
    },
    async findByCustomerNumber(customerNumber) {
      const row = byCustomer.get(customerNumber);
      return row ? toSubscription(row) : null;
    },
    async findByRegistrationId(registrationId) {
      const row = byRegistration.get(registrationId);
      return row ? toSubscription(row) : null;
    },
    async findByRegistrationSuffix(suffix) {
      return bySuffix.all(suffix).map(toSubscription);
    },
    async list() {
      return all.all().map(toSubscription);
    },
    async members(subscriptionId) {
      return members.all(subscriptionId).map(toMember);
    },
    async membershipsOf(accountId) {
      return memberships.all(accountId).map(toMember);
    },
    async addMember(member, nowMs = Date.now()) {
      return insertMember.run({ ...member, now: Math.floor(nowMs) }).changes === 1;
    },
    async createJoinRequest(request, nowMs = Date.now()) {
      const id = randomUUID();
      insertRequest.run({ id, ...request, now: Math.floor(nowMs) });
      return toRequest(requestById.get(id)!);
    },
    async findJoinRequest(id) {
      const row = requestById.get(id);
      return row ? toRequest(row) : null;
    },
    async joinRequestsOf(accountId) {
      return requestsOf.all(accountId).map(toRequest);
    },
    async joinRequestsFor(subscriptionId) {
      return requestsFor.all(subscriptionId).map(toRequest);
    },
    async decide(id, status, nowMs = Date.now()) {
      assertDecision(status);
      const row = decide.get({ id, status, now: Math.floor(nowMs) });
      return row ? toRequest(row) : null;
    },
  };
}
