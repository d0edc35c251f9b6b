import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Mailer, PhoneSender } from '../delivery/index.js';
import { maskEmail, maskPhone } from '../delivery/redact.js';
import { AppError } from '../errors.js';
import type { Proof } from '../factors/assurance.js';
import type { FactorLimits } from '../factors/attempts.js';
import { typedCode } from '../factors/factor.js';
import { CODE_TTL_MS, type OneTimeCodes } from '../factors/one-time-codes.js';
import { normalPhone, toE164 } from '../factors/phone/numbers.js';
import type { Account, BackupMethod, BackupMethodStore, FactorStore } from '../store/ports.js';

/** A setup left half-way is forgotten after this long: its code lives no longer. */
export const BACKUP_SETUP_TTL_MS = CODE_TTL_MS;

/** A destination whose setup code was sent and not yet entered; the console keeps it sealed in its session. */
export interface PendingBackupMethod {
  kind: 'phone' | 'email';
  /** E.164 number, or the email address as typed (trimmed). */
  destination: string;
  channel: 'sms' | 'voice' | null;
  /** epoch ms: when the setup code was sent (a resend starts again). */
  startedAt: number;
}

export const pendingBackupMethodSchema = z.object({
  kind: z.enum(['phone', 'email']),
  destination: z.string().min(1).max(320),
  channel: z.enum(['sms', 'voice']).nullable(),
  startedAt: z.number(),
}) satisfies z.ZodType<PendingBackupMethod>;

export interface BackupMethods {
  get(accountId: string): Promise<BackupMethod | null>;
  /** "Text message to •••• 58", "Phone call to •••• 58", "Email to b•••@example.org" (masked like the factors' describe()). */
  describe(method: BackupMethod): string;
  /** "Use backup method" at sign-in: sends a 6-digit code to the backup destination (purpose 'recovery'; text/call per its channel); a resend replaces the code; sends rate-limited per account, destination and IP (FactorLimits.reserveSend). Throws AppError the page shows (send_throttled 429, delivery_failed 503). */
  sendSignInCode(account: Account, method: BackupMethod, ip: string): Promise<void>;
  /** Checks that code: one atomic consumption (OneTimeCodes.consume), wrong answers limited per account across flows (FactorLimits.attempt with key 'backup_method'); returns the Proof { method: 'sms' | 'voice' | 'email', channel: destination, at } (src/factors/assurance.ts) or throws AppError('wrong_code', 400) / code_throttled 429. */
  verifySignInCode(account: Account, method: BackupMethod, code: string): Promise<Proof>;
  /** Console: validates the form (kind 'phone' with channel sms|voice, country, number — parsed to E.164 with libphonenumber-js like the phone factor; or kind 'email' with email), refuses a destination equal to the login email or to any of the account's enrolled phone factors (see rule below), sends a setup code (purpose 'backup-method'), returns the pending state to keep sealed in the console session. */
  begin(account: Account, input: Record<string, string>, ip: string): Promise<PendingBackupMethod>;
  /** Console: checks the setup code and stores the method (BackupMethodStore.set, replacing any previous one); returns the new and the replaced method. */
  finish(account: Account, pending: PendingBackupMethod, code: string): Promise<{ method: BackupMethod; previous: BackupMethod | null }>;
}

export interface BackupMethodDeps {
  store: BackupMethodStore;
  factors: FactorStore;
  codes: OneTimeCodes;
  limits: FactorLimits;
  mail: Mailer;
  phone: PhoneSender;
  clock: Clock;
}

const emailSchema = z.email().max(320);

/** Emails compare case-insensitively, nothing more: dots and plus-tags mean different mailboxes at many providers. */
const sameEmail = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Security rule "the backup method is independent of the sign-in methods": refuses a number
 * equal (as E.164) to one of the account's phone factors, and an address equal (ignoring
 * case) to the login email or to an email-code factor. Throws the AppError the form shows.
 */
async function refuseSignInDestination(factors: FactorStore, account: Account, kind: 'phone' | 'email', destination: string): Promise<void> {
  if (kind === 'email') {
    if (sameEmail(destination, account.email)) throw new AppError('backup_same_as_login_email', 400);
  }
  for (const factor of await factors.listForAccount(account.id)) {
    if (kind === 'phone' && factor.kind === 'phone' && (await normalPhone(factor.data.e164)) === destination) throw new AppError('backup_same_as_phone', 400);
    if (kind === 'email' && factor.kind === 'email' && typeof factor.data.email === 'string' && sameEmail(factor.data.email, destination)) {
      throw new AppError('backup_same_as_email_factor', 400);
    }
  }
}

/**
 * For the phone factor (wired in container.ts): security rule "a sign-in phone is never the
 * backup phone" — the reverse of the check in `begin`, so that losing one phone never takes
 * both the second factor and the way to reset it. Throws AppError('phone_is_backup', 400).
 */
export function backupPhoneCheck(store: BackupMethodStore): (account: Account, e164: string) => Promise<void> {
  return async (account, e164) => {
    const backup = await store.get(account.id);
    if (backup?.kind === 'phone' && (await normalPhone(backup.destination)) === (await normalPhone(e164))) throw new AppError('phone_is_backup', 400);
  };
}

/**
 * The backup method (an alternative phone number or email address to reset 2FA with): its
 * setup in the console and its code at sign-in. Codes are the factors' (6 digits, keyed hash,
 * 10 minutes, consumed once); the setup code and the sign-in code live under different keys,
 * both bound to the account and the destination, so neither ever answers the other.
 */
export function createBackupMethods(deps: BackupMethodDeps): BackupMethods {
  const { store, factors, codes, limits, mail, phone, clock } = deps;

  const signInKey = (accountId: string, destination: string) => `code:backup:sign-in:${accountId}:${destination}`;
  const setupKey = (accountId: string, p: Pick<PendingBackupMethod, 'kind' | 'channel' | 'destination'>) =>
    `code:backup:setup:${accountId}:${p.kind}:${p.channel ?? 'email'}:${p.destination}`;

  const send = async (to: Pick<BackupMethod, 'kind' | 'channel' | 'destination'>, code: string, purpose: 'backup-method' | 'recovery') => {
    if (to.kind === 'email') {
      await mail.send({ to: to.destination, template: 'verification-code', data: { code, purpose, minutes: CODE_TTL_MS / 60_000 } });
    } else if (to.channel === 'voice') {
      await phone.send({ to: to.destination, channel: 'voice', template: 'voice-code', data: { code } });
    } else {
      await phone.send({ to: to.destination, channel: 'sms', template: 'sms-code', data: { code, minutes: CODE_TTL_MS / 60_000 } });
    }
  };

  /** The account's own method only: a method handed in for another account is a caller's bug, refused rather than used. */
  const own = (account: Account, method: BackupMethod) => {
    if (method.accountId !== account.id) throw new AppError('bad_request', 400);
  };

  const parse = async (input: Record<string, string>): Promise<Omit<PendingBackupMethod, 'startedAt'>> => {
    const field = (name: string) => (typeof input[name] === 'string' ? input[name] : '');
    if (field('kind') === 'phone') {
      if (!phone.available) throw new AppError('backup_kind_unavailable', 400);
      const channel = field('channel');
      if (channel !== 'sms' && channel !== 'voice') throw new AppError('backup_channel_required', 400);
      const e164 = await toE164(field('country'), field('number'));
      if (!e164) throw new AppError('invalid_phone', 400);
      return { kind: 'phone', destination: e164, channel };
    }
    if (field('kind') === 'email') {
      if (!mail.available) throw new AppError('backup_kind_unavailable', 400);
      const parsed = emailSchema.safeParse(field('email').trim());
      if (!parsed.success) throw new AppError('invalid_email', 400);
      return { kind: 'email', destination: parsed.data, channel: null };
    }
    throw new AppError('backup_kind_required', 400);
  };

  return {
    get: (accountId) => store.get(accountId),

    describe(method) {
      if (method.kind === 'email') return `Email to ${maskEmail(method.destination)}`;
      return `${method.channel === 'voice' ? 'Phone call' : 'Text message'} to ${maskPhone(method.destination)}`;
    },

    async sendSignInCode(account, method, ip) {
      own(account, method);
      await limits.reserveSend(account.id, method.destination, ip);
      await send(method, await codes.issue(signInKey(account.id, method.destination)), 'recovery');
    },

    async verifySignInCode(account, method, code) {
      own(account, method);
      const typed = typedCode({ code });
      const ok = await limits.attempt(account.id, 'backup_method', async () => ((await codes.consume(signInKey(account.id, method.destination), typed)) ? true : null));
      if (!ok) throw new AppError('wrong_code', 400);
      const channel = method.kind === 'email' ? method.destination.toLowerCase() : method.destination;
      return { method: method.kind === 'email' ? 'email' : method.channel === 'voice' ? 'voice' : 'sms', channel, at: clock.now() };
    },

    async begin(account, input, ip) {
      const parsed = await parse(input);
      await refuseSignInDestination(factors, account, parsed.kind, parsed.destination);
      await limits.reserveSend(account.id, parsed.destination, ip);
      await send(parsed, await codes.issue(setupKey(account.id, parsed)), 'backup-method');
      return { ...parsed, startedAt: clock.now() };
    },

    async finish(account, pending, code) {
      const now = clock.now();
      if (now - pending.startedAt > BACKUP_SETUP_TTL_MS) throw new AppError('enrolment_expired', 400);
      // Checked again: a phone factor may have been added with this number since the code was sent.
      await refuseSignInDestination(factors, account, pending.kind, pending.destination);
      const typed = typedCode({ code });
      const ok = await limits.attempt(account.id, 'enrol:backup_method', async () => ((await codes.consume(setupKey(account.id, pending), typed)) ? true : null));
      if (!ok) throw new AppError('wrong_code', 400);
      const method: BackupMethod = { accountId: account.id, kind: pending.kind, destination: pending.destination, channel: pending.channel, verifiedAt: now };
      const previous = await store.set(method);
      return { method, previous };
    },
  };
}
