import type { SecretBox } from '../crypto/secret-box.js';
import { BACKUP_SETUP_TTL_MS, pendingBackupMethodSchema, type PendingBackupMethod } from '../recovery/backup-methods.js';
import type { ConsoleSession } from './console-session.js';

/**
 * The backup method being set up, sealed into the console session entry for this session id
 * (like enrolment.ts): the destination is personal data, and a sealed value copied into
 * another session does not open. Forgotten after 10 minutes, when its code dies too.
 */
export function createBackupSetupSeal(box: SecretBox) {
  const purpose = (session: ConsoleSession) => `account.backup-setup:${session.id}`;
  return {
    seal(session: ConsoleSession, pending: PendingBackupMethod): ConsoleSession {
      return { ...session, backupSetup: box.seal(JSON.stringify(pending), purpose(session)) };
    },
    /** The pending setup, or undefined when there is none, it does not open, or it expired. */
    open(session: ConsoleSession, nowMs: number): PendingBackupMethod | undefined {
      if (!session.backupSetup) return undefined;
      try {
        const pending = pendingBackupMethodSchema.parse(JSON.parse(box.open(session.backupSetup, purpose(session))));
        return nowMs - pending.startedAt > BACKUP_SETUP_TTL_MS ? undefined : pending;
      } catch {
        return undefined;
      }
    },
    clear(session: ConsoleSession): ConsoleSession {
      const { backupSetup: _dropped, ...rest } = session;
      return rest;
    },
  };
}
