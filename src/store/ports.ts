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
}

/** Client metadata exactly as node-oidc-provider reads it (snake_case, RFC 7591). */
export type ClientMetadata = Record<string, unknown> & { client_id: string };

export interface ClientStore {
  /** Throws DuplicateError when the client_id exists. */
  create(metadata: ClientMetadata): Promise<void>;
  find(clientId: string): Promise<ClientMetadata | null>;
  list(): Promise<ClientMetadata[]>;
  /** Returns false when there was no such client. */
  delete(clientId: string): Promise<boolean>;
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
}

/** Named, long-lived secrets (signing keys, cookie keys), stored already encrypted. */
export interface SecretStore {
  /**
   * Returns the stored value for `name`, storing `candidate` first when there is none.
   * Atomic: when several instances race, all of them get the one value that was stored.
   */
  getOrCreate(name: string, candidate: string): Promise<string>;
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
}

/** Accounts, clients, consents and keys: MongoDB at scale, SQLite embedded. */
export type LongLivedStores = Pick<Stores, 'accounts' | 'clients' | 'consents' | 'secrets'> & Backend;
/** Provider artifacts and counters: Redis at scale, SQLite embedded. */
export type ShortLivedStores = Pick<Stores, 'oidc' | 'counters'> & Backend;

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
