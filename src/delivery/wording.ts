/*
 * The sentences that vary with what a message is about, kept as data so that the type
 * checker proves every purpose and every event has its wording. The templates fetch them
 * through helpers (see templates.ts), so the text and HTML versions cannot drift apart.
 */

/** What a verification code is for. */
export type VerificationPurpose = 'sign-up' | 'sign-up-existing' | 'sign-in' | 'factor-setup' | 'backup-method' | 'recovery' | 'email-change' | 'email-verification';

/** A change to how someone signs in, reported to them by email. */
export type SecurityEvent =
  | 'factor-added'
  | 'factor-removed'
  | 'factor-renamed'
  | 'backup-method-changed'
  | 'recovery-codes-renewed'
  | 'recovery-code-used'
  | 'password-changed'
  | 'email-changed'
  | 'two-factor-reset';

interface PurposeWording {
  /** Completes "Use this code to …". */
  action: string;
  /** What to do when the person did not ask for the code. */
  ifNotYou: string;
}

// A second-factor or recovery code someone else asked for means they got past the password.
const PASSWORD_KNOWN = 'If you did not ask for this code, someone may know your password: do not share the code, and change your password.';

export const PURPOSES = {
  'sign-up': {
    action: 'confirm the email address of your new Latchkey account',
    ifNotYou: 'If you did not ask for this, ignore this email: no account is created without this code.',
  },
  // Sent instead of 'sign-up' when the address already has an account: the same code and
  // the same page follow, so only the inbox's owner learns that the account exists.
  'sign-up-existing': {
    action:
      'continue. This email address already has a Latchkey account, so no new account will be created: after the code you can sign in, or reset your password if you forgot it',
    ifNotYou:
      'Someone tried to create a new Latchkey account with your email address. If it was not you, ignore this email: your account is unchanged, and the code is useless without access to your inbox.',
  },
  'sign-in': { action: 'finish signing in', ifNotYou: PASSWORD_KNOWN },
  'factor-setup': {
    action: 'confirm this address for sign-in codes on your Latchkey account',
    ifNotYou: 'If you did not ask for this, ignore this email: the address is not added without this code.',
  },
  'backup-method': {
    action: 'confirm this address as the backup method of your Latchkey account',
    ifNotYou: 'If you did not ask for this, ignore this email: the address is not added without this code.',
  },
  recovery: { action: 'get back into your account with your backup method', ifNotYou: PASSWORD_KNOWN },
  // At the first sign-in of an account created without a verified address: the password was typed first.
  'email-verification': { action: 'confirm the email address of your Latchkey account and finish signing in', ifNotYou: PASSWORD_KNOWN },
  'email-change': {
    action: 'confirm this as the new email address of your Latchkey account',
    ifNotYou: 'If you did not ask for this, ignore this email: the address is not changed without this code.',
  },
} as const satisfies Record<VerificationPurpose, PurposeWording>;

/** Headlines of security notifications; `{detail}` is replaced by the caller's detail (a factor's name). */
export const SECURITY_EVENTS = {
  'factor-added': 'A sign-in method was added to your account: {detail}',
  'factor-removed': 'A sign-in method was removed from your account: {detail}',
  // A new name can make a method look like another one in lists and emails.
  'factor-renamed': 'A sign-in method of your account was renamed: {detail}',
  'backup-method-changed': 'The backup method of your account was changed: {detail}',
  'recovery-codes-renewed': 'New backup codes were made for your account; the old ones no longer work',
  'recovery-code-used': 'A backup code or your recovery key was used to sign in to your account: {detail}',
  'password-changed': 'The password of your account was changed',
  'email-changed': 'The email address of your account was changed: {detail}',
  'two-factor-reset': '2-factor authentication (2FA) was reset on your account: {detail}',
} as const satisfies Record<SecurityEvent, string>;

export function securityHeadline(event: SecurityEvent, detail?: string): string {
  const headline: string = SECURITY_EVENTS[event];
  return detail ? headline.replace('{detail}', detail) : headline.replace(/: \{detail\}$/, '');
}

/** "1, 2, 3, 4, 5, 6": a voice reads digits one by one instead of "one hundred twenty-three thousand…". */
export function spellDigits(code: string): string {
  return [...code.replace(/\s+/g, '')].join(', ');
}

/** Times in UTC, spelled out: the reader's zone is unknown and "03/04" is ambiguous. */
export function formatUtc(time: number): string {
  const formatted = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(time));
  return `${formatted} UTC`;
}
