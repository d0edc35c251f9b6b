import type { Stores } from '../ports.js';
import { sqliteAccountStore } from './accounts.js';
import { sqliteClientStore } from './clients.js';
import { sqliteConsentStore } from './consents.js';
import { sqliteCounterStore } from './counters.js';
import { openSqlite, type SqliteDatabase } from './database.js';
import { sqliteFactorStore } from './factors.js';
import { sqliteOidcArtifactStore, sweepExpired } from './oidc-artifacts.js';
import { sqliteOneTimeStore, sweepExpiredOneTime } from './one-time.js';
import { sqliteRecoveryCodeStore } from './recovery-codes.js';
import { sqliteSecretStore } from './secrets.js';
import { sqliteSubscriptionStore } from './subscriptions.js';
import { sqliteBackupMethodStore } from './backup-methods.js';
import { sqliteAuditStore } from './audit.js';

export interface SqliteStores extends Stores {
  db: SqliteDatabase;
}

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/** Every port on one SQLite file (or ':memory:'), the embedded default. */
export function createSqliteStores(file: string): SqliteStores {
  const db = openSqlite(file);
  const sweeper = setInterval(() => {
    sweepExpired(db);
    sweepExpiredOneTime(db);
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  return {
    db,
    accounts: sqliteAccountStore(db),
    clients: sqliteClientStore(db),
    consents: sqliteConsentStore(db),
    oidc: sqliteOidcArtifactStore(db),
    counters: sqliteCounterStore(db),
    secrets: sqliteSecretStore(db),
    factors: sqliteFactorStore(db),
    recoveryCodes: sqliteRecoveryCodeStore(db),
    oneTime: sqliteOneTimeStore(db),
    subscriptions: sqliteSubscriptionStore(db),
    backupMethods: sqliteBackupMethodStore(db),
    audit: sqliteAuditStore(db),
    async health() {
      try {
        db.prepare('SELECT 1').get();
        return [{ name: 'sqlite', ok: true }];
      } catch (error) {
        return [{ name: 'sqlite', ok: false, error: (error as Error).message }];
      }
    },
    async close() {
      clearInterval(sweeper);
      if (db.open) db.close();
    },
  };
}
