import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { normalizeEmail } from '../accounts/password-sign-in.js';
import type { Clock } from '../clock.js';
import { generateNumericCode, type CodeHasher } from '../crypto/code-hash.js';
import type { Mailer } from '../delivery/index.js';
import { AppError } from '../errors.js';
import {
  DuplicateError,
  type Account,
  type AccountStore,
  type CounterLimit,
  type CounterStore,
  type JoinRequest,
  type OneTimeStore,
  type Subscription,
  type SubscriptionMember,
  type SubscriptionStore,
} from '../store/ports.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The owner's Approve and Decline links work once (together: the first use decides), for this long. */
export const DECISION_LINK_TTL_MS = 7 * DAY;

/**
 * Join attempts per requesting account, matched or not: they bound guessing of numbers and
 * owners' addresses, and the approval emails one person can make an owner receive.
 */
export const JOIN_ATTEMPT_LIMIT: CounterLimit = { free: 10, waitsMs: [15 * MINUTE], ttlMs: HOUR };

/** 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}\p{Cf}]*$/u);

export type Decision = 'approved' | 'declined';

/** What a join form led to, when the numbers and the owner's address matched. */
export type JoinOutcome =
  | { outcome: 'requested'; subscription: Subscription; request: JoinRequest }
  | { outcome: 'already_owner'; subscription: Subscription }
  | { outcome: 'already_member'; subscription: Subscription };

export interface SubscriptionOverview {
  subscription: Subscription;
  owner: Account | null;
  members: { member: SubscriptionMember; account: Account | null }[];
  requests: { request: JoinRequest; requester: Account | null }[];
}

/** A request as the owner reviews it from the link. */
export interface JoinReview {
  request: JoinRequest;
  subscription: Subscription;
  requester: Account;
}

export interface AccountSubscriptions {
  memberships: { member: SubscriptionMember; subscription: Subscription }[];
  requests: { request: JoinRequest; subscription: Subscription }[];
}

export interface Subscriptions {
  /** `latchkey subscriptions create`: the owner must have an account; numbers are generated. */
  create(input: { name: string; ownerEmail: string }): Promise<Subscription>;
  list(): Promise<Subscription[]>;
  /** By id, customer number or registration id; null when none. */
  overview(idOrNumber: string): Promise<SubscriptionOverview | null>;
  /**
   * The join form. Any mismatch (unknown or malformed number, an ambiguous suffix, not the
   * owner's address) throws the one `subscription_mismatch`; a match makes a pending request
   * and emails its owner the Approve and Decline links.
   */
  requestToJoin(requester: Account, input: { identifier: string; ownerEmail: string }): Promise<JoinOutcome>;
  /** The request a link names, for its owner; throws not_found, subscription_not_owner (403) or subscription_link_invalid. */
  review(owner: Account, requestId: string): Promise<JoinReview>;
  /**
   * The owner's decision with the link's token: the token is taken (single use) and the
   * request moves from pending in one conditional write, so of many clicks one decides.
   * The requester is told by email.
   */
  decide(owner: Account, requestId: string, token: string, decision: Decision): Promise<JoinReview>;
  /** The console's list: the account's memberships and its requests. */
  forAccount(accountId: string): Promise<AccountSubscriptions>;
}

export function createSubscriptions(deps: {
  store: SubscriptionStore;
  accounts: AccountStore;
  oneTime: OneTimeStore;
  counters: CounterStore;
  codeHasher: CodeHasher;
  mail: Mailer;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn'>;
}): Subscriptions {
  const { store, accounts, oneTime, counters, codeHasher, mail, clock, logger } = deps;
  const tokenKey = (requestId: string) => `subscription-join:${requestId}`;
  const mismatch = () => new AppError('subscription_mismatch', 400);
  const linkInvalid = () => new AppError('subscription_link_invalid', 400);

  /** The subscription a typed Customer Number or Registration ID names, or null (no match, ambiguous suffix, malformed). */
  const byIdentifier = async (typed: string): Promise<Subscription | null> => {
    const cleaned = typed.replace(/[\s-]/g, '').toUpperCase();
    if (/^\d{8}$/.test(cleaned)) return store.findByCustomerNumber(cleaned);
    if (/^MBR\d{10}$/.test(cleaned)) return store.findByRegistrationId(cleaned);
    if (/^\d{10}$/.test(cleaned)) return store.findByRegistrationId(`MBR${cleaned}`);
    if (/^\d{6}$/.test(cleaned)) {
      const found = await store.findByRegistrationSuffix(cleaned);
      return found.length === 1 ? found[0]! : null;
    }
    return null;
  };

  const issueLinks = async (request: JoinRequest, subscription: Subscription, owner: Account, requester: Account) => {
    const token = randomBytes(32).toString('base64url');
    const key = tokenKey(request.id);
    // A new email replaces the previous links (put replaces the stored digest).
    await oneTime.put(key, codeHasher.digest(token, key), DECISION_LINK_TTL_MS, clock.now());
    const base = `/account/subscriptions/requests/${request.id}`;
    try {
      await mail.send({
        to: owner.email,
        template: 'subscription-join-request',
        data: {
          subscription: subscription.name,
          requester: requester.name ? `${requester.name} (${requester.email})` : requester.email,
          approvePath: `${base}/approve/${token}`,
          declinePath: `${base}/decline/${token}`,
          days: DECISION_LINK_TTL_MS / DAY,
        },
      });
    } catch {
      throw new AppError('subscription_delivery_failed', 503);
    }
  };

  const overviewOf = async (subscription: Subscription): Promise<SubscriptionOverview> => {
    const [owner, members, requests] = await Promise.all([
      accounts.findById(subscription.ownerAccountId),
      store.members(subscription.id),
      store.joinRequestsFor(subscription.id),
    ]);
    return {
      subscription,
      owner,
      members: await Promise.all(members.map(async (member) => ({ member, account: await accounts.findById(member.accountId) }))),
      requests: await Promise.all(requests.map(async (request) => ({ request, requester: await accounts.findById(request.requesterAccountId) }))),
    };
  };

  const review = async (owner: Account, requestId: string): Promise<JoinReview> => {
    const request = UUID.test(requestId) ? await store.findJoinRequest(requestId) : null;
    const subscription = request && (await store.find(request.subscriptionId));
    if (!request || !subscription) throw new AppError('not_found', 404);
    if (subscription.ownerAccountId !== owner.id) throw new AppError('subscription_not_owner', 403);
    const requester = await accounts.findById(request.requesterAccountId);
    if (request.status !== 'pending' || !requester) throw linkInvalid();
    return { request, subscription, requester };
  };

  return {
    async create({ name, ownerEmail }) {
      const parsed = nameSchema.safeParse(name);
      if (!parsed.success) throw new AppError('invalid_subscription_name', 400);
      const owner = await accounts.findByEmail(normalizeEmail(ownerEmail));
      if (!owner) throw new AppError('subscription_owner_unknown', 404, { email: ownerEmail });
      for (let attempt = 0; ; attempt++) {
        const customerNumber = `${1 + Number(generateNumericCode(1)) % 9}${generateNumericCode(7)}`;
        const registrationId = `MBR${generateNumericCode(10)}`;
        // Best effort: a suffix shared by two subscriptions finds neither, so avoid making one.
        if (attempt < 10 && (await store.findByRegistrationSuffix(registrationId.slice(-6))).length > 0) continue;
        try {
          const subscription = await store.create({ name: parsed.data, ownerAccountId: owner.id, customerNumber, registrationId }, clock.now());
          logger.info({ event: 'subscription.created', subscriptionId: subscription.id, ownerAccountId: owner.id });
          return subscription;
        } catch (error) {
          if (!(error instanceof DuplicateError) || attempt >= 20) throw error;
        }
      }
    },

    list: () => store.list(),

    async overview(idOrNumber) {
      const typed = idOrNumber.trim();
      const subscription = UUID.test(typed)
        ? await store.find(typed)
        : /^\d{8}$/.test(typed)
          ? await store.findByCustomerNumber(typed)
          : await store.findByRegistrationId(typed.toUpperCase());
      return subscription ? overviewOf(subscription) : null;
    },

    async requestToJoin(requester, input) {
      const now = clock.now();
      const reservation = await counters.reserve(`subscription-join:${requester.id}`, now, JOIN_ATTEMPT_LIMIT);
      if (!reservation.ok) {
        throw new AppError('subscription_join_throttled', 429, { minutes: String(Math.max(1, Math.ceil((reservation.retryAt - now) / MINUTE))) });
      }
      const subscription = input.identifier.length <= 40 ? await byIdentifier(input.identifier) : null;
      const owner = subscription && (await accounts.findById(subscription.ownerAccountId));
      if (!subscription || !owner || owner.disabled || normalizeEmail(owner.email) !== normalizeEmail(input.ownerEmail)) {
        logger.info({ event: 'subscription.join_mismatch', accountId: requester.id });
        throw mismatch();
      }
      if (owner.id === requester.id) return { outcome: 'already_owner', subscription };
      if ((await store.membershipsOf(requester.id)).some((m) => m.subscriptionId === subscription.id)) return { outcome: 'already_member', subscription };
      const pending = (await store.joinRequestsOf(requester.id)).find((r) => r.subscriptionId === subscription.id && r.status === 'pending');
      const request = pending ?? (await store.createJoinRequest({ subscriptionId: subscription.id, requesterAccountId: requester.id }, now));
      await issueLinks(request, subscription, owner, requester);
      logger.info({ event: 'subscription.join_requested', subscriptionId: subscription.id, requestId: request.id, accountId: requester.id, again: pending !== undefined });
      return { outcome: 'requested', subscription, request };
    },

    review,

    async decide(owner, requestId, token, decision) {
      const found = await review(owner, requestId);
      const key = tokenKey(found.request.id);
      if (!TOKEN.test(token) || !(await oneTime.take(key, codeHasher.digest(token, key), clock.now()))) throw linkInvalid();
      const decided = await store.decide(found.request.id, decision, clock.now());
      if (!decided) throw linkInvalid();
      if (decision === 'approved') {
        await store.addMember({ subscriptionId: found.subscription.id, accountId: found.requester.id, role: 'member' }, clock.now());
      }
      logger.info({ event: `subscription.join_${decision}`, subscriptionId: found.subscription.id, requestId: decided.id, accountId: found.requester.id, by: owner.id });
      try {
        await mail.send({
          to: found.requester.email,
          template: 'subscription-join-decided',
          data: { subscription: found.subscription.name, approved: decision === 'approved', path: '/account/subscriptions' },
        });
      } catch (error) {
        logger.warn({ event: 'subscription.decision_mail_failed', requestId: decided.id, err: error }, 'could not tell the requester the decision');
      }
      return { ...found, request: decided };
    },

    async forAccount(accountId) {
      const [memberships, requests] = await Promise.all([store.membershipsOf(accountId), store.joinRequestsOf(accountId)]);
      const ids = [...new Set([...memberships.map((m) => m.subscriptionId), ...requests.map((r) => r.subscriptionId)])];
      const byId = new Map((await Promise.all(ids.map((id) => store.find(id)))).filter((s): s is Subscription => s !== null).map((s) => [s.id, s]));
      return {
        memberships: memberships.flatMap((member) => (byId.has(member.subscriptionId) ? [{ member, subscription: byId.get(member.subscriptionId)! }] : [])),
        requests: requests.flatMap((request) => (byId.has(request.subscriptionId) ? [{ request, subscription: byId.get(request.subscriptionId)! }] : [])),
      };
    },
  };
}
