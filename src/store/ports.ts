/**
 * Storage ports: the only contracts that flows and services see. Every adapter
 * (sqlite/, redis/, mongo/) implements them and passes test/contract/.
 */

export interface Account {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  /**
   * Sign-ins made before this instant no longer count (epoch ms, wall clock: the time base
   * of node-oidc-provider's auth_time). Set by updatePassword; enforced for sessions, codes
   * and tokens by oidc/sign-in-cutoff.ts. Absent until the password is first changed.
   */
  sessionsValidAfter?: number;
  /**
   * Set when support reset the account's 2FA: its next sign-in must set up a second factor
   * before it finishes, whatever the client asks. Cleared when a factor is set up.
   */
  enrolmentRequired?: boolean;
  /**
   * The password was last set through an emailed link and no sign-in has proven a second
   * factor since: it is only as strong as the login inbox (factors/assurance.ts).
   */
  passwordFromLink?: boolean;
}

export interface NewAccount {
  email: string;
  emailVerified: boolean;
  name: string | null;
  passwordHash: string;
}

export interface AccountStore {
  /** Throws DuplicateError when the email (compared case-insensitively) is taken. */
  create(account: NewAccount): Promise<Account>;
  findById(id: string): Promise<Account | null>;
  /** Case-insensitive lookup. */
  findByEmail(email: string): Promise<Account | null>;
  list(): Promise<Account[]>;
  /**
   * Replaces the password hash and, in the same write, ends every earlier sign-in
   * (sessionsValidAfter = now, wall clock; updatedAt too) and sets passwordFromLink to
   * `fromLink`. False when there is no such account.
   */
  updatePassword(id: string, passwordHash: string, fromLink?: boolean): Promise<boolean>;
  /** Clears passwordFromLink: a sign-in proved a second factor with this password. False when there is no such account. */
  confirmPassword(id: string): Promise<boolean>;
  /** Sets emailVerified (and updatedAt); false when there is no such account. Idempotent. */
  markEmailVerified(id: string): Promise<boolean>;
  /**
   * Ends every sign-in made before now (sessionsValidAfter = now, wall clock) without
   * touching the password: a 2FA reset. False when there is no such account.
   */
  endSessions(id: string): Promise<boolean>;
  /** Sets or clears enrolmentRequired (and updatedAt); false when there is no such account. */
  setEnrolmentRequired(id: string, required: boolean): Promise<boolean>;
}

/** Client metadata exactly as node-oidc-provider reads it (snake_case, RFC 7591). */
export type ClientMetadata = Record<string, unknown> & { client_id: string };

export interface ClientStore {
  /** Throws DuplicateError when the client_id exists. */
  create(metadata: ClientMetadata): Promise<void>;
  find(clientId: string): Promise<ClientMetadata | null>;
  list(): Promise<ClientMetadata[]>;
  /** Replaces the metadata of the client with metadata.client_id; returns false when there was no such client. */
  update(metadata: ClientMetadata): Promise<boolean>;
  /** Returns false when there was no such client. */
  delete(clientId: string): Promise<boolean>;
  /**
   * A value that changes whenever any client is created, updated or deleted, by any process
   * or instance sharing the store; cheap to read (oidc/client-cache.ts reads it on protocol
   * requests, at most once per CLIENT_VERSION_REUSE_MS).
   */
  version(): Promise<string>;
}

/** Scopes an account has agreed to release to a client, remembered across sessions. */
export interface ConsentStore {
  find(accountId: string, clientId: string): Promise<string[] | null>;
  /** Adds `scopes` to what the account already agreed to for this client. */
  grant(accountId: string, clientId: string, scopes: string[]): Promise<void>;
  revoke(accountId: string, clientId: string): Promise<void>;
}

/** A node-oidc-provider artifact payload (session, interaction, code, token, grant, …). */
export type OidcPayload = Record<string, unknown> & {
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumed?: number;
};

/** The 7-method node-oidc-provider adapter contract for one model, with expiry honoured. */
export interface OidcModelStore {
  upsert(id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  /**
   * Marks the artifact consumed with one atomic conditional write. Resolves true for the
   * one caller that consumed it, false when it was already consumed or does not exist.
   */
  consume(id: string): Promise<boolean>;
  destroy(id: string): Promise<void>;
  /** Removes every artifact of this model issued under the grant. */
  revokeByGrantId(grantId: string): Promise<void>;
}

export interface OidcArtifactStore {
  model(name: string): OidcModelStore;
}

export interface CounterHit {
  /** The count including this hit. */
  count: number;
  /** When the previous hit (not this one) happened, epoch ms; null for the first hit. */
  previousHitAt: number | null;
}

/** Atomic counters shared by every instance: lockout, rate limits and, later, code attempts. */
export interface CounterStore {
  /**
   * Adds one to the counter with a single atomic write and records `nowMs` as its last
   * hit. The counter is forgotten `ttlMs` after its last hit.
   */
  hit(key: string, nowMs: number, ttlMs: number): Promise<CounterHit>;
  /** The current count at `nowMs` (0 when absent or forgotten). */
  peek(key: string, nowMs?: number): Promise<number>;
  reset(key: string): Promise<void>;
  /**
   * In one atomic step: refuses the attempt, changing nothing, while the counter is in the
   * wait `limit` sets after its last counted attempt; otherwise counts the attempt (as hit()
   * does, forgotten `limit.ttlMs` after it).
   */
  reserve(key: string, nowMs: number, limit: CounterLimit): Promise<Reservation>;
  /**
   * Takes one counted attempt back (atomic decrement, never below 0), leaving the time of
   * the last attempt and the expiry as they are. No-op for an absent or forgotten counter.
   */
  release(key: string, nowMs: number): Promise<void>;
}

/**
 * When a counter makes attempts wait: after `free` counted attempts, each further attempt
 * waits `waitsMs[i]` from the last counted one (i = count - free; the last entry repeats).
 */
export interface CounterLimit {
  free: number;
  /** Non-empty. */
  waitsMs: readonly number[];
  ttlMs: number;
}

export type Reservation =
  /** Counted: `count` includes this attempt. */
  | { ok: true; count: number }
  /** Refused until `retryAt` (epoch ms); the counter is unchanged. */
  | { ok: false; count: number; retryAt: number };

/** Named, long-lived secrets (signing keys, cookie keys), stored already encrypted. */
export interface SecretStore {
  /** The stored value for `name`, or null: lets callers skip building a costly candidate (key generation). */
  find(name: string): Promise<string | null>;
  /**
   * Returns the stored value for `name`, storing `candidate` first when there is none.
   * Atomic: when several instances race, all of them get the one value that was stored.
   */
  getOrCreate(name: string, candidate: string): Promise<string>;
}

/**
 * Single-use secrets (codes, reset links, WebAuthn challenges), shared by every instance.
 * Only keyed digests are stored (src/crypto/code-hash.ts), never the secret itself. Every
 * method is one atomic step; expiry is judged against `nowMs` (default: now), so injected
 * clocks behave the same on every backend.
 */
export interface OneTimeStore {
  /** Stores `digest` under `key` for `ttlMs`, replacing whatever was there (a resend voids the previous code). */
  put(key: string, digest: string, ttlMs: number, nowMs?: number): Promise<void>;
  /**
   * Atomic compare-and-delete: true for exactly one caller, when a live value under `key`
   * equals `digest`, and the value is then gone. A wrong digest leaves the value in place
   * (attempts are limited by the caller, with CounterStore.reserve).
   */
  take(key: string, digest: string, nowMs?: number): Promise<boolean>;
  /** Read only: whether a live value under `key` equals `digest` (a link that still works; uses nothing up). */
  peek(key: string, digest: string, nowMs?: number): Promise<boolean>;
  /** Set-if-absent: true for the one caller that marked `key` used for `ttlMs`, false while it holds any live value. */
  claim(key: string, ttlMs: number, nowMs?: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export type FactorKind = 'totp' | 'webauthn' | 'phone' | 'email';

/** A second factor an account has enrolled. */
export interface Factor {
  id: string;
  accountId: string;
  kind: FactorKind;
  label: string | null;
  /**
   * Kind-specific, JSON-serialisable: a sealed TOTP seed; WebAuthn credentialId (base64url,
   * required for 'webauthn'), publicKey, transports, backedUp; a phone number (E.164) and
   * channel; an email address.
   */
  data: Record<string, unknown>;
  /** TOTP: the last accepted time step; WebAuthn: the last sign count. */
  counter: number;
  createdAt: number;
  /** Null until advanceCounter first succeeds. */
  lastUsedAt: number | null;
}

export type NewFactor = Pick<Factor, 'accountId' | 'kind' | 'label' | 'data' | 'counter'>;

/**
 * An account's enrolled factors. Every method but findByCredentialId is scoped by
 * accountId: a factor id of another account is never found, changed or removed.
 */
export interface FactorStore {
  /** Throws DuplicateError when a 'webauthn' factor's data.credentialId is registered already (to any account). */
  create(factor: NewFactor, nowMs?: number): Promise<Factor>;
  /** Oldest first. */
  listForAccount(accountId: string): Promise<Factor[]>;
  find(accountId: string, id: string): Promise<Factor | null>;
  /** The 'webauthn' factor whose data.credentialId is exactly `credentialId` (passwordless sign-in). */
  findByCredentialId(credentialId: string): Promise<Factor | null>;
  /** False when the account has no such factor. */
  rename(accountId: string, id: string, label: string | null): Promise<boolean>;
  /**
   * Replay protection for TOTP steps and WebAuthn sign counts: one atomic conditional write
   * that sets counter = `value` and lastUsedAt = `nowMs` only while the stored counter is
   * below `value`. True for the one caller that advanced it.
   */
  advanceCounter(accountId: string, id: string, value: number, nowMs: number): Promise<boolean>;
  /** False when the account has no such factor. */
  remove(accountId: string, id: string): Promise<boolean>;
  /** How many were removed. */
  removeAllForAccount(accountId: string): Promise<number>;
}

/**
 * An account's recovery key and backup codes, as keyed digests only (never the codes).
 * One set per account: `replace` makes the old set unusable at once.
 */
export interface RecoverySet {
  /** Increases with every replace (shown nowhere; tells sets apart in tests and logs). */
  generation: number;
  /** Null once the key was used (it works once; the user is told to regenerate). */
  recoveryKeyDigest: string | null;
  codes: { index: number; digest: string; usedAt: number | null }[];
  createdAt: number;
}

/**
 * Recovery key and backup codes per account (long-lived). Every consumption is one atomic
 * conditional write: of parallel callers with the same code exactly one succeeds.
 */
export interface RecoveryCodeStore {
  /** Stores a new set for the account, replacing (and so killing) any previous one. Returns its generation. */
  replace(accountId: string, set: { recoveryKeyDigest: string; codeDigests: string[] }, nowMs?: number): Promise<number>;
  get(accountId: string): Promise<RecoverySet | null>;
  /** Marks the unused code with this digest used; the number of unused codes left, or null when no unused code matched. */
  consumeCode(accountId: string, digest: string, nowMs?: number): Promise<number | null>;
  /** Clears the recovery key when it matches: true for exactly one caller. */
  consumeRecoveryKey(accountId: string, digest: string): Promise<boolean>;
  /** Unused backup codes and whether the key is still usable (zero and false without a set). */
  remaining(accountId: string): Promise<{ codes: number; key: boolean }>;
  /** How many sets were removed (0 or 1). */
  removeForAccount(accountId: string): Promise<number>;
}

/**
 * Where a code can be sent when the second factor is lost (recovery/, "Use backup method"):
 * a phone number (text or call) or an email address, verified by a code when it was set.
 * Never a sign-in factor of its own, never the login email or an enrolled phone.
 */
export interface BackupMethod {
  accountId: string;
  kind: 'phone' | 'email';
  /** E.164 number, or the email address as typed. */
  destination: string;
  /** Phone only: how codes reach it (null for email). */
  channel: 'sms' | 'voice' | null;
  /** epoch ms: when its code was confirmed. */
  verifiedAt: number;
}

/** One backup method per account (long-lived). */
export interface BackupMethodStore {
  get(accountId: string): Promise<BackupMethod | null>;
  /** Stores the account's backup method in one write, replacing any previous one; returns the one replaced (null when none). */
  set(method: BackupMethod): Promise<BackupMethod | null>;
  /** Removes it; returns what was removed (null when none). */
  remove(accountId: string): Promise<BackupMethod | null>;
}

/** Who caused a security event: the account's owner, a support agent (by name), or Latchkey itself. */
export type AuditActor = 'user' | 'support' | 'system';

/** One security event of an account, as kept in the audit log. */
export interface AuditEvent {
  id: string;
  accountId: string;
  /** A stable name: 'signin.succeeded', 'factor.added', '2fa.reset', … (audit/events.ts). */
  type: string;
  /** epoch ms */
  at: number;
  actor: AuditActor;
  /** The support agent's name, when actor is 'support'. */
  actorName: string | null;
  ip: string | null;
  userAgent: string | null;
  /** What a person reads: "Authenticator app", "reason: lost phone", "amr pwd otp". Never a secret. */
  detail: string | null;
}

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

/** The audit log (long-lived, append-only). */
export interface AuditStore {
  append(event: NewAuditEvent): Promise<AuditEvent>;
  /** The account's events, newest first, at most `limit`. */
  listForAccount(accountId: string, limit: number): Promise<AuditEvent[]>;
}

/** A subscription people join (src/orgs/): one owner, identified by two numbers. */
export interface Subscription {
  id: string;
  name: string;
  ownerAccountId: string;
  /** Decimal digits (8), unique. */
  customerNumber: string;
  /** 'MBR' + 10 digits, unique; its last 6 digits also find it when no other shares them. */
  registrationId: string;
  createdAt: number;
}

export type NewSubscription = Pick<Subscription, 'name' | 'ownerAccountId' | 'customerNumber' | 'registrationId'>;

export type SubscriptionRole = 'owner' | 'member';

export interface SubscriptionMember {
  subscriptionId: string;
  accountId: string;
  role: SubscriptionRole;
  joinedAt: number;
}

export type JoinRequestStatus = 'pending' | 'approved' | 'declined';

export interface JoinRequest {
  id: string;
  subscriptionId: string;
  requesterAccountId: string;
  status: JoinRequestStatus;
  createdAt: number;
  /** Null while pending. */
  decidedAt: number | null;
}

/** Subscriptions, their members and requests to join them (long-lived). */
export interface SubscriptionStore {
  /**
   * Stores the subscription and its owner as its first member ('owner'). Throws
   * DuplicateError when the customer number or the registration id is taken.
   */
  create(subscription: NewSubscription, nowMs?: number): Promise<Subscription>;
  find(id: string): Promise<Subscription | null>;
  findByCustomerNumber(customerNumber: string): Promise<Subscription | null>;
  findByRegistrationId(registrationId: string): Promise<Subscription | null>;
  /** Every subscription whose registration id ends with these 6 digits (more than one: ambiguous). */
  findByRegistrationSuffix(suffix: string): Promise<Subscription[]>;
  /** Oldest first. */
  list(): Promise<Subscription[]>;
  /** Oldest first. */
  members(subscriptionId: string): Promise<SubscriptionMember[]>;
  /** The account's memberships, oldest first. */
  membershipsOf(accountId: string): Promise<SubscriptionMember[]>;
  /** False (nothing changed) when the account is a member already. */
  addMember(member: Omit<SubscriptionMember, 'joinedAt'>, nowMs?: number): Promise<boolean>;
  createJoinRequest(request: Pick<JoinRequest, 'subscriptionId' | 'requesterAccountId'>, nowMs?: number): Promise<JoinRequest>;
  findJoinRequest(id: string): Promise<JoinRequest | null>;
  /** The account's requests, oldest first. */
  joinRequestsOf(accountId: string): Promise<JoinRequest[]>;
  /** The subscription's requests, oldest first. */
  joinRequestsFor(subscriptionId: string): Promise<JoinRequest[]>;
  /**
   * One atomic conditional write, pending → `status` (decidedAt = `nowMs`): the decided
   * request for the one caller that decided it, null when it was decided already or is missing.
   */
  decide(id: string, status: 'approved' | 'declined', nowMs?: number): Promise<JoinRequest | null>;
}

export interface BackendHealth {
  name: string;
  ok: boolean;
  error?: string;
}

/** What every storage backend offers besides its ports. */
export interface Backend {
  /** One entry per backend in use; used by /readyz. */
  health(): Promise<BackendHealth[]>;
  close(): Promise<void>;
}

/** Everything the app stores, as picked by the container. */
export interface Stores extends Backend {
  accounts: AccountStore;
  clients: ClientStore;
  consents: ConsentStore;
  oidc: OidcArtifactStore;
  counters: CounterStore;
  secrets: SecretStore;
  factors: FactorStore;
  recoveryCodes: RecoveryCodeStore;
  oneTime: OneTimeStore;
  subscriptions: SubscriptionStore;
  backupMethods: BackupMethodStore;
  audit: AuditStore;
}

/** Accounts, clients, consents, keys, factors, backup methods and the audit log: MongoDB at scale, SQLite embedded. */
export type LongLivedStores = Pick<
  Stores,
  'accounts' | 'clients' | 'consents' | 'secrets' | 'factors' | 'recoveryCodes' | 'subscriptions' | 'backupMethods' | 'audit'
> &
  Backend;
/** Provider artifacts, counters and single-use secrets: Redis at scale, SQLite embedded. */
export type ShortLivedStores = Pick<Stores, 'oidc' | 'counters' | 'oneTime'> & Backend;

export class DuplicateError extends Error {
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'DuplicateError';
  }
}

/** A backend (Redis, MongoDB) did not answer: callers must fail closed. */
export class BackendUnavailableError extends Error {
  /** Read by node-oidc-provider's error handler: protocol endpoints answer 503. */
  readonly statusCode = 503;
  constructor(backend: string, cause?: unknown) {
    super(`${backend} is unavailable`, { cause });
    this.name = 'BackendUnavailableError';
  }
}
