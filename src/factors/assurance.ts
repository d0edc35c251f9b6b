/**
 * The only place `amr` and `acr` are computed from what a user proved. Pure.
 *
 * Security rules enforced here:
 * - 2FA needs two proofs of different classes (something known, a device, a phone, an
 *   inbox); two inboxes, or the same phone twice, never count as two factors. A password
 *   chosen through the login inbox (Account.passwordFromLink) is an inbox, not knowledge.
 * - `phr` (phishing-resistant) needs a WebAuthn assertion: with user verification alone
 *   (a passkey), or after the password (a security key).
 * - A proof made for another purpose (enrolling, resetting) never counts toward signing in.
 */
import { ACR } from '../oidc/acr.js';

export type ProofMethod = 'pwd' | 'totp' | 'webauthn' | 'sms' | 'voice' | 'email' | 'backup_code' | 'recovery_key';

export interface Proof {
  method: ProofMethod;
  /** The enrolled factor that was used, when there is one. */
  factorId?: string;
  /** Where a code went (E.164 number, email address): two proofs through one channel are one factor. */
  channel?: string;
  /** WebAuthn: the authenticator verified the user (PIN, biometrics). */
  userVerified?: boolean;
  /** WebAuthn: a synced (backed-up) credential, a software key in RFC 8176 terms. */
  backedUp?: boolean;
  /** Epoch ms when it was proven. */
  at: number;
  /** What it was made for; absent means signing in. A 'reset_2fa' proof never counts toward signing in (flow.ts). */
  purpose?: 'sign_in' | 'reset_2fa';
}

export type Acr = (typeof ACR)[keyof typeof ACR];

/** Strength order of the acr values, for "at least this level" comparisons. */
const RANK: Record<Acr, number> = { [ACR.singleFactor]: 1, [ACR.multiFactor]: 2, [ACR.phishingResistant]: 3 };

export function acrRank(acr: string | undefined): number {
  return acr && acr in RANK ? RANK[acr as Acr] : 0;
}

/** Whether `acr` satisfies a requirement of `required` (undefined: nothing required). */
export function meets(acr: string | undefined, required: string | undefined): boolean {
  return required === undefined || acrRank(acr) >= acrRank(required);
}

type FactorClass = 'knowledge' | 'device' | 'phone' | 'inbox' | 'recovery';

function classOf(proof: Proof): FactorClass {
  switch (proof.method) {
    case 'pwd':
      // A password set through an emailed link (and not yet confirmed by a sign-in with a
      // second factor) carries the login address as its channel: it is that inbox.
      return proof.channel ? 'inbox' : 'knowledge';
    case 'totp':
    case 'webauthn':
      return 'device';
    case 'sms':
    case 'voice':
      return 'phone';
    case 'email':
      return 'inbox';
    case 'backup_code':
    case 'recovery_key':
      // Saved when 2FA was turned on: stands in for the device, never for the password.
      return 'recovery';
  }
}

const AMR: Record<ProofMethod, (proof: Proof) => string[]> = {
  pwd: () => ['pwd'],
  totp: () => ['otp'],
  webauthn: (p) => [p.backedUp ? 'swk' : 'hwk', ...(p.userVerified ? ['user'] : [])],
  sms: () => ['sms'],
  voice: () => ['tel'],
  email: () => ['otp'],
  backup_code: () => ['otp'],
  recovery_key: () => ['otp'],
};

export interface Assurance {
  amr: string[];
  acr: Acr;
}

/** amr (RFC 8176) and acr for a set of proofs made for signing in. Throws on an empty set. */
export function assurance(proofs: readonly Proof[]): Assurance {
  if (proofs.length === 0) throw new Error('No proof, no assurance');
  const amr = [...new Set(proofs.flatMap((p) => AMR[p.method](p)))];
  const classes = new Set(proofs.map(classOf));
  const passkey = proofs.some((p) => p.method === 'webauthn' && p.userVerified);
  const securityKeyAfterPassword = classes.has('knowledge') && proofs.some((p) => p.method === 'webauthn');
  // A user-verified WebAuthn assertion is itself two factors (the key, and the PIN or biometric).
  const multi = passkey || (classes.size >= 2 && !onlyInboxesAndRecovery(classes));
  if (multi) amr.push('mfa');
  const acr = passkey || securityKeyAfterPassword ? ACR.phishingResistant : multi ? ACR.multiFactor : ACR.singleFactor;
  return { amr, acr };
}

/** Whether these proofs make two factors (2fa or phr), the level an account with 2FA on must reach. */
export function isMultiFactor(proofs: readonly Proof[]): boolean {
  return proofs.length > 0 && assurance(proofs).acr !== ACR.singleFactor;
}

/** Inboxes and saved recovery codes without the password or a device are still one thing an attacker can steal. */
function onlyInboxesAndRecovery(classes: Set<FactorClass>): boolean {
  return [...classes].every((c) => c === 'inbox' || c === 'recovery');
}
