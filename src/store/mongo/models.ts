import { Schema, type Connection, type Model } from 'mongoose';

/*
 * One model per collection. Schemas set `id: false` (accounts have a real `id` field, and
 * the virtual is never wanted) and `versionKey: false` (no document is ever saved through
 * mongoose documents; every write is a single atomic query). Indexes are declared here but
 * only created by createMongoIndexes (`latchkey db indexes`), never at runtime.
 */

export interface AccountDoc {
  id: string;
  email: string;
  emailLower: string;
  emailVerified: boolean;
  name: string | null;
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  sessionsValidAfter?: number;
  enrolmentRequired?: boolean;
  passwordFromLink?: boolean;
}

export interface ClientDoc {
  client_id: string;
  metadata: Record<string, unknown>;
  createdAt: number;
}

/** One document (_id 'clients') whose version every client write moves (ClientStore.version). */
export interface ClientChangesDoc {
  _id: string;
  version: number;
}

export interface ConsentDoc {
  accountId: string;
  clientId: string;
  scopes: string[];
  updatedAt: number;
}

export interface SecretDoc {
  name: string;
  value: string;
  createdAt: number;
}

export interface FactorDoc {
  id: string;
  accountId: string;
  kind: string;
  label: string | null;
  data: Record<string, unknown>;
  /** 'webauthn' factors only (absent otherwise), so the unique index covers only them. */
  credentialId?: string;
  counter: number;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface RecoverySetDoc {
  accountId: string;
  generation: number;
  recoveryKeyDigest: string | null;
  codes: { index: number; digest: string; usedAt: number | null }[];
  createdAt: number;
}

export interface BackupMethodDoc {
  accountId: string;
  kind: string;
  destination: string;
  channel: string | null;
  verifiedAt: number;
}

export interface AuditEventDoc {
  id: string;
  accountId: string;
  type: string;
  at: number;
  actor: string;
  actorName: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: string | null;
}

export interface SubscriptionDoc {
  id: string;
  name: string;
  ownerAccountId: string;
  customerNumber: string;
  registrationId: string;
  /** The registration id's last 6 digits, indexed for lookups by suffix. */
  registrationSuffix: string;
  createdAt: number;
}

export interface SubscriptionMemberDoc {
  subscriptionId: string;
  accountId: string;
  role: string;
  joinedAt: number;
}

export interface JoinRequestDoc {
  id: string;
  subscriptionId: string;
  requesterAccountId: string;
  status: string;
  createdAt: number;
  decidedAt: number | null;
}

const options = { id: false, versionKey: false, strict: 'throw' } as const;

/**
 * Security writes (passwords and the sign-in cutoff, client secrets, signing keys, second
 * factors, recovery codes) are acknowledged only once a majority of a replica set has them
 * (journaled): a primary that fails over right after acknowledging could otherwise roll back a
 * password change, a deleted factor or a used backup code, which would then work again. On a
 * standalone server majority is the server itself.
 */
const security = { ...options, writeConcern: { w: 'majority' as const, j: true } };

const accountSchema = new Schema<AccountDoc>(
  {
    id: { type: String, required: true },
    email: { type: String, required: true },
    emailLower: { type: String, required: true },
    emailVerified: { type: Boolean, required: true },
    name: { type: String, default: null },
    passwordHash: { type: String, required: true },
    disabled: { type: Boolean, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
    sessionsValidAfter: { type: Number },
    enrolmentRequired: { type: Boolean },
    passwordFromLink: { type: Boolean },
  },
  security,
);
accountSchema.index({ id: 1 }, { unique: true });
accountSchema.index({ emailLower: 1 }, { unique: true });

const clientSchema = new Schema<ClientDoc>(
  {
    client_id: { type: String, required: true },
    // Stored as given: empty objects inside metadata must survive (minimize would drop them).
    metadata: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Number, required: true },
  },
  { ...security, minimize: false },
);
clientSchema.index({ client_id: 1 }, { unique: true });

const clientChangesSchema = new Schema<ClientChangesDoc>(
  { _id: { type: String, required: true }, version: { type: Number, required: true } },
  security,
);

const consentSchema = new Schema<ConsentDoc>(
  {
    accountId: { type: String, required: true },
    clientId: { type: String, required: true },
    scopes: { type: [String], default: [] },
    updatedAt: { type: Number, required: true },
  },
  options,
);
consentSchema.index({ accountId: 1, clientId: 1 }, { unique: true });

const secretSchema = new Schema<SecretDoc>(
  {
    name: { type: String, required: true },
    value: { type: String, required: true },
    createdAt: { type: Number, required: true },
  },
  security,
);
secretSchema.index({ name: 1 }, { unique: true });

const factorSchema = new Schema<FactorDoc>(
  {
    id: { type: String, required: true },
    accountId: { type: String, required: true },
    kind: { type: String, required: true },
    label: { type: String, default: null },
    // Stored as given: empty objects and arrays inside data must survive (minimize would drop them).
    data: { type: Schema.Types.Mixed, required: true },
    credentialId: { type: String },
    counter: { type: Number, required: true },
    createdAt: { type: Number, required: true },
    lastUsedAt: { type: Number, default: null },
  },
  { ...security, minimize: false },
);
factorSchema.index({ id: 1 }, { unique: true });
factorSchema.index({ accountId: 1, createdAt: 1 });
factorSchema.index({ credentialId: 1 }, { unique: true, partialFilterExpression: { credentialId: { $type: 'string' } } });

const recoverySetSchema = new Schema<RecoverySetDoc>(
  {
    accountId: { type: String, required: true },
    generation: { type: Number, required: true },
    recoveryKeyDigest: { type: String, default: null },
    codes: [{ _id: false, index: { type: Number, required: true }, digest: { type: String, required: true }, usedAt: { type: Number, default: null } }],
    createdAt: { type: Number, required: true },
  },
  security,
);
recoverySetSchema.index({ accountId: 1 }, { unique: true });

const backupMethodSchema = new Schema<BackupMethodDoc>(
  {
    accountId: { type: String, required: true },
    kind: { type: String, required: true },
    destination: { type: String, required: true },
    channel: { type: String, default: null },
    verifiedAt: { type: Number, required: true },
  },
  options,
);
backupMethodSchema.index({ accountId: 1 }, { unique: true });

const auditEventSchema = new Schema<AuditEventDoc>(
  {
    id: { type: String, required: true },
    accountId: { type: String, required: true },
    type: { type: String, required: true },
    at: { type: Number, required: true },
    actor: { type: String, required: true },
    actorName: { type: String, default: null },
    ip: { type: String, default: null },
    userAgent: { type: String, default: null },
    detail: { type: String, default: null },
  },
  options,
);
auditEventSchema.index({ id: 1 }, { unique: true });
auditEventSchema.index({ accountId: 1, at: -1 });

const subscriptionSchema = new Schema<SubscriptionDoc>(
  {
    id: { type: String, required: true },
    name: { type: String, required: true },
    ownerAccountId: { type: String, required: true },
    customerNumber: { type: String, required: true },
    registrationId: { type: String, required: true },
    registrationSuffix: { type: String, required: true },
    createdAt: { type: Number, required: true },
  },
  options,
);
subscriptionSchema.index({ id: 1 }, { unique: true });
subscriptionSchema.index({ customerNumber: 1 }, { unique: true });
subscriptionSchema.index({ registrationId: 1 }, { unique: true });
subscriptionSchema.index({ registrationSuffix: 1 });

const subscriptionMemberSchema = new Schema<SubscriptionMemberDoc>(
  {
    subscriptionId: { type: String, required: true },
    accountId: { type: String, required: true },
    role: { type: String, required: true },
    joinedAt: { type: Number, required: true },
  },
  options,
);
subscriptionMemberSchema.index({ subscriptionId: 1, accountId: 1 }, { unique: true });
subscriptionMemberSchema.index({ accountId: 1 });

const joinRequestSchema = new Schema<JoinRequestDoc>(
  {
    id: { type: String, required: true },
    subscriptionId: { type: String, required: true },
    requesterAccountId: { type: String, required: true },
    status: { type: String, required: true },
    createdAt: { type: Number, required: true },
    decidedAt: { type: Number, default: null },
  },
  options,
);
joinRequestSchema.index({ id: 1 }, { unique: true });
joinRequestSchema.index({ requesterAccountId: 1, createdAt: 1 });
joinRequestSchema.index({ subscriptionId: 1, createdAt: 1 });

export interface MongoModels {
  accounts: Model<AccountDoc>;
  clients: Model<ClientDoc>;
  clientChanges: Model<ClientChangesDoc>;
  consents: Model<ConsentDoc>;
  secrets: Model<SecretDoc>;
  factors: Model<FactorDoc>;
  recoverySets: Model<RecoverySetDoc>;
  subscriptions: Model<SubscriptionDoc>;
  subscriptionMembers: Model<SubscriptionMemberDoc>;
  joinRequests: Model<JoinRequestDoc>;
  backupMethods: Model<BackupMethodDoc>;
  auditEvents: Model<AuditEventDoc>;
}

/** The models bound to one connection (models are per connection, never registered globally). */
export function defineModels(connection: Connection): MongoModels {
  return {
    accounts: connection.model<AccountDoc>('Account', accountSchema, 'accounts'),
    clients: connection.model<ClientDoc>('Client', clientSchema, 'clients'),
    clientChanges: connection.model<ClientChangesDoc>('ClientChanges', clientChangesSchema, 'client_changes'),
    consents: connection.model<ConsentDoc>('Consent', consentSchema, 'consents'),
    secrets: connection.model<SecretDoc>('Secret', secretSchema, 'secrets'),
    factors: connection.model<FactorDoc>('Factor', factorSchema, 'factors'),
    recoverySets: connection.model<RecoverySetDoc>('RecoverySet', recoverySetSchema, 'recovery_sets'),
    subscriptions: connection.model<SubscriptionDoc>('Subscription', subscriptionSchema, 'subscriptions'),
    subscriptionMembers: connection.model<SubscriptionMemberDoc>('SubscriptionMember', subscriptionMemberSchema, 'subscription_members'),
    joinRequests: connection.model<JoinRequestDoc>('JoinRequest', joinRequestSchema, 'subscription_join_requests'),
    backupMethods: connection.model<BackupMethodDoc>('BackupMethod', backupMethodSchema, 'backup_methods'),
    auditEvents: connection.model<AuditEventDoc>('AuditEvent', auditEventSchema, 'audit_events'),
  };
}
