import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile, narrowIfExists } from '../private-files.js';

export type SqliteDatabase = Database.Database;

const MIGRATIONS: string[] = [
  `CREATE TABLE accounts (
     id TEXT PRIMARY KEY,
     email TEXT NOT NULL,
     email_lower TEXT NOT NULL UNIQUE,
     email_verified INTEGER NOT NULL,
     name TEXT,
     password_hash TEXT NOT NULL,
     disabled INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE clients (
     client_id TEXT PRIMARY KEY,
     metadata TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE consents (
     account_id TEXT NOT NULL,
     client_id TEXT NOT NULL,
     scopes TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (account_id, client_id)
   );
   CREATE TABLE oidc_artifacts (
     model TEXT NOT NULL,
     id TEXT NOT NULL,
     payload TEXT NOT NULL,
     grant_id TEXT,
     user_code TEXT,
     uid TEXT,
     consumed_at INTEGER,
     expires_at INTEGER,
     PRIMARY KEY (model, id)
   );
   CREATE INDEX oidc_artifacts_grant ON oidc_artifacts (grant_id) WHERE grant_id IS NOT NULL;
   CREATE INDEX oidc_artifacts_user_code ON oidc_artifacts (model, user_code) WHERE user_code IS NOT NULL;
   CREATE INDEX oidc_artifacts_uid ON oidc_artifacts (model, uid) WHERE uid IS NOT NULL;
   CREATE INDEX oidc_artifacts_expiry ON oidc_artifacts (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE counters (
     key TEXT PRIMARY KEY,
     count INTEGER NOT NULL,
     last_hit_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE secrets (
     name TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  // Second factors and single-use secrets. factors.account_id has no foreign key: MongoDB
  // cannot enforce one, and the two backends must behave alike.
  `CREATE TABLE one_time (
     key TEXT PRIMARY KEY,
     digest TEXT,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX one_time_expiry ON one_time (expires_at);
   CREATE TABLE factors (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     label TEXT,
     data TEXT NOT NULL,
     credential_id TEXT,
     counter INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER
   );
   CREATE INDEX factors_account ON factors (account_id, created_at);
   CREATE UNIQUE INDEX factors_credential ON factors (credential_id) WHERE credential_id IS NOT NULL;`,
  // Password reset: sign-ins before this instant (epoch ms) no longer count.
  `ALTER TABLE accounts ADD COLUMN sessions_valid_after INTEGER;`,
  // Subscriptions (src/orgs/): members and requests to join. No foreign keys to accounts,
  // as for factors: MongoDB cannot enforce them and the backends must behave alike.
  `CREATE TABLE subscriptions (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     owner_account_id TEXT NOT NULL,
     customer_number TEXT NOT NULL UNIQUE,
     registration_id TEXT NOT NULL UNIQUE,
     registration_suffix TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX subscriptions_registration_suffix ON subscriptions (registration_suffix);
   CREATE TABLE subscription_members (
     subscription_id TEXT NOT NULL,
     account_id TEXT NOT NULL,
     role TEXT NOT NULL,
     joined_at INTEGER NOT NULL,
     PRIMARY KEY (subscription_id, account_id)
   );
   CREATE INDEX subscription_members_account ON subscription_members (account_id);
   CREATE TABLE subscription_join_requests (
     id TEXT PRIMARY KEY,
     subscription_id TEXT NOT NULL,
     requester_account_id TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     decided_at INTEGER
   );
   CREATE INDEX subscription_join_requests_requester ON subscription_join_requests (requester_account_id, created_at);
   CREATE INDEX subscription_join_requests_subscription ON subscription_join_requests (subscription_id, created_at);`,
  // Recovery key and backup codes (keyed digests only), one set per account; a code is
  // consumed by one conditional UPDATE … WHERE used_at IS NULL.
  `CREATE TABLE recovery_sets (
     account_id TEXT PRIMARY KEY,
     generation INTEGER NOT NULL,
     recovery_key_digest TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE recovery_codes (
     account_id TEXT NOT NULL,
     generation INTEGER NOT NULL,
     idx INTEGER NOT NULL,
     digest TEXT NOT NULL,
     used_at INTEGER,
     PRIMARY KEY (account_id, idx)
   );
   CREATE INDEX recovery_codes_digest ON recovery_codes (account_id, digest);`,
  // Recovery (issue: backup method, 2FA reset) and the audit log.
  `ALTER TABLE accounts ADD COLUMN enrolment_required INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE accounts ADD COLUMN password_from_link INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE backup_methods (
     account_id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     destination TEXT NOT NULL,
     channel TEXT,
     verified_at INTEGER NOT NULL
   );
   CREATE TABLE audit_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     account_id TEXT NOT NULL,
     type TEXT NOT NULL,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     actor_name TEXT,
     ip TEXT,
     user_agent TEXT,
     detail TEXT
   );
   CREATE INDEX audit_events_account ON audit_events (account_id, at, seq);`,
];

/** SQLite's page cache per connection to a database file, in KiB (see openSqlite). */
export const SQLITE_FILE_CACHE_KIB = 4000;

/**
 * Opens (creating if needed) the SQLite file, or an in-memory database for ':memory:'.
 * The directory is made 0700 and the file 0600 before SQLite opens it (data at rest is
 * readable by the owner only; SQLite creates -wal and -shm with the database file's mode).
 */
export function openSqlite(file: string): SqliteDatabase {
  const onDisk = file !== ':memory:';
  if (onDisk) {
    ensurePrivateDir(dirname(file));
    ensurePrivateFile(file);
    for (const suffix of ['-wal', '-shm']) narrowIfExists(`${file}${suffix}`);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection (SQLite's own default
  // is 2 MB). Filled by provider artifacts, it held ~13 MB of the 150 MB budget at a login
  // server's peak; with 4 MB, CPU per refresh on the file was the same (BENCHMARKS.md): the
  // operating system's page cache still holds the file. An in-memory database keeps every
  // page whatever this says, so it is left alone.
  if (onDisk) db.pragma(`cache_size = -${SQLITE_FILE_CACHE_KIB}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
