import { setTimeout as sleep } from 'node:timers/promises';
import type { SecurityNotifier } from '../accounts/security-notifier.js';
import type { Audit, AuditWhere } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { CodeHasher } from '../crypto/code-hash.js';
import { createLinkTokens, LINK_PURPOSES } from '../crypto/link-tokens.js';
import type { Mailer, SecurityEvent } from '../delivery/index.js';
import { AppError } from '../errors.js';
import type { RecoveryCodes } from '../factors/recovery/recovery-codes.js';
import type { Account, AccountStore, BackupMethod, BackupMethodStore, Factor, FactorStore, OneTimeStore } from '../store/ports.js';

/** The "Send 2-factor authentication email" link works once, for this long. */
export const TWO_FACTOR_RESET_LINK_TTL_MS = 30 * 60_000;

/** Tells a backup destination (an email or a phone) about a change; failures are logged, never thrown. */
export type BackupNotice = (account: Account, method: BackupMethod, event: SecurityEvent, detail: string | undefined, where: AuditWhere) => Promise<void>;

export interface TwoFactorReset {
  /**
   * "Send 2-factor authentication email", after the backup method's code: a single-use link
   * to the login address. The caller has checked the password and the backup code.
   */
  sendLink(account: Account, where: AuditWhere): Promise<void>;
  /** The account a link is for while it works (the latest, unused and unexpired; account active); uses nothing up. */
  check(token: string): Promise<Account | null>;
  /** Uses the link up: true for exactly one caller (atomic), while it is the latest and unexpired. */
  redeem(token: string): Promise<boolean>;
  /**
   * The new factor is set up: every other factor goes, every other sign-in ends, the
   * account's addresses (login email and backup destination) are told, and it is audited.
   * Resolves once the second of the cutoff is over (see sign-in-cutoff.ts).
   */
  complete(account: Account, kept: Factor, keptDescription: string, where: AuditWhere): Promise<void>;
  /**
   * Support's reset (`latchkey users reset-2fa`): removes the factors, recovery key, backup
   * codes and backup method, ends every sign-in, makes the next sign-in set up a factor,
   * notifies the user and audits who did it and why.
   */
  bySupport(account: Account, input: { reason: string; by: string }): Promise<{ factorsRemoved: number; backupMethodRemoved: boolean }>;
}

/**
 * Resetting 2FA. Security rule "every path back into an account proves two factors, or
 * ends in a reset by someone entitled to it with the user notified": the self-service
 * path needs the password, a code from the backup method, this link from the login inbox
 * and then the password again in the browser that opens it (interaction/, purpose
 * reset_2fa); support's path is audited with the agent's name and reason and notified.
 */
export function createTwoFactorReset(deps: {
  accounts: AccountStore;
  factors: FactorStore;
  backupMethods: BackupMethodStore;
  recovery: RecoveryCodes | undefined;
  oneTime: OneTimeStore;
  codeHasher: CodeHasher;
  mail: Mailer;
  notifier: SecurityNotifier;
  backupNotice: BackupNotice;
  audit: Audit;
  clock: Clock;
}): TwoFactorReset {
  const { accounts, factors, backupMethods, mail, notifier, audit, clock } = deps;
  const links = createLinkTokens({ purpose: LINK_PURPOSES.twoFactorReset, ttlMs: TWO_FACTOR_RESET_LINK_TTL_MS, oneTime: deps.oneTime, hasher: deps.codeHasher, clock });

  /** Every verified address of the account hears of it: the login email, and the backup destination. */
  const tellEveryone = async (account: Account, backup: BackupMethod | null, detail: string, where: AuditWhere) => {
    await notifier.notify(account, 'two-factor-reset', detail, { ip: where.ip, userAgent: where.userAgent });
    if (backup) await deps.backupNotice(account, backup, 'two-factor-reset', detail, where);
  };

  /** auth_time has whole seconds: answer once the cutoff's second is over, so the next sign-in is after it. */
  const waitForNextSecond = () => sleep(1000 - (Date.now() % 1000) + 5);

  return {
    async sendLink(account, where) {
      const token = await links.issue(account.id);
      try {
        await mail.send({ to: account.email, template: 'two-factor-reset', data: { path: `/reset-2fa/${token}`, minutes: TWO_FACTOR_RESET_LINK_TTL_MS / 60_000 } });
      } catch {
        throw new AppError('delivery_failed', 503);
      }
      await audit.record(account.id, '2fa.reset_requested', where);
    },

    async check(token) {
      const parsed = links.read(token);
      const account = parsed && (await links.live(token)) && (await accounts.findById(parsed.accountId));
      return account && !account.disabled ? account : null;
    },

    redeem: (token) => links.redeem(token),

    async complete(account, kept, keptDescription, where) {
      for (const factor of await factors.listForAccount(account.id)) {
        if (factor.id !== kept.id) await factors.remove(account.id, factor.id);
      }
      await accounts.endSessions(account.id);
      if (account.enrolmentRequired) await accounts.setEnrolmentRequired(account.id, false);
      const detail = `the other sign-in methods were removed and ${keptDescription} was set up`;
      await audit.record(account.id, '2fa.reset', where, `self-service with the backup method; new method: ${keptDescription}`);
      await tellEveryone(account, await backupMethods.get(account.id), detail, where);
      await waitForNextSecond();
    },

    async bySupport(account, { reason, by }) {
      const where: AuditWhere = { actor: 'support', actorName: by };
      const factorsRemoved = await factors.removeAllForAccount(account.id);
      await deps.recovery?.discard(account.id);
      const backup = await backupMethods.remove(account.id);
      await accounts.endSessions(account.id);
      await accounts.setEnrolmentRequired(account.id, true);
      await audit.record(account.id, '2fa.reset', where, `by support (${by}): ${reason}`);
      await tellEveryone(account, backup, `by Latchkey support (${by}); your sign-in methods, recovery key, backup codes and backup method were removed. Set up two-factor authentication and a backup method at your next sign-in`, where);
      await waitForNextSecond();
      return { factorsRemoved, backupMethodRemoved: backup !== null };
    },
  };
}
