import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { generateSecret, generateURI, verifySync } from 'otplib';

/*
 * The TOTP core (RFC 6238 over RFC 4226): pure functions, no storage. Parameters are the
 * ones every authenticator app supports: HMAC-SHA-1, 6 digits, 30-second steps.
 */

const PERIOD_SECONDS = 30;
/** Steps accepted either side of the current one, for clock drift and typing time. */
const WINDOW_STEPS = 1;
const SECRET_BYTES = 20;
/**
 * HMAC and random bytes from node:crypto (OpenSSL) rather than otplib's default pure-JavaScript
 * noble hashes: the same values, but on caches a password check's argon2id pass has swept
 * (32 MiB written first, in a micro-benchmark) a verification cost ~550 µs with noble
 * against ~65 µs with node:crypto.
 */
const crypto = new NodeCryptoPlugin();

export type TotpDigits = 6 | 8;

export interface VerifyTotpOptions {
  /** Only steps after this one can match: pass the factor's stored counter to refuse replays early. */
  afterStep?: number;
  /** 6 (default); 8 exists for RFC test vectors, not for enrolment. */
  digits?: TotpDigits;
}

/**
 * The time step whose code `code` is, within ±1 step of `nowMs`, or null when it matches
 * none (or is not `digits` decimal digits once whitespace is removed: "123 456" is accepted).
 * The caller must then advance the factor's counter to the returned step with one
 * conditional write (FactorStore.advanceCounter), which is what refuses a replayed code.
 */
export function verifyTotp(secret: string, code: string, nowMs: number, options: VerifyTotpOptions = {}): number | null {
  const digits = options.digits ?? 6;
  const token = code.replace(/\s+/g, '');
  if (token.length !== digits || !/^[0-9]+$/.test(token)) return null;
  const epoch = Math.floor(nowMs / 1000);
  const lastStep = Math.floor(epoch / PERIOD_SECONDS) + WINDOW_STEPS;
  const afterStep = options.afterStep;
  // otplib throws for an afterTimeStep past the window; nothing in the window could match then.
  if (afterStep !== undefined && afterStep >= lastStep) return null;
  const result = verifySync({
    secret,
    token,
    crypto,
    algorithm: 'sha1',
    digits,
    period: PERIOD_SECONDS,
    epoch,
    // In seconds: ±30 s around `epoch` spans exactly the previous, current and next step.
    epochTolerance: WINDOW_STEPS * PERIOD_SECONDS,
    ...(afterStep === undefined ? {} : { afterTimeStep: Math.max(0, afterStep) }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** A new shared secret: 20 random bytes (the RFC 4226 recommended 160 bits) from the CSPRNG, base32 without padding. */
export function generateTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES, crypto });
}

export interface TotpUriOptions {
  /** Shown by the app as the account's provider, e.g. the product name. */
  issuer: string;
  /** Shown by the app under the issuer, e.g. the account's email. */
  accountName: string;
  /** Base32, as generateTotpSecret returns it. */
  secret: string;
}

/**
 * The otpauth:// URI an authenticator app scans (Key URI Format). The label is
 * "issuer:accountName" with the issuer repeated as a parameter; a colon inside either would
 * make the label ambiguous (the format forbids it), so it is refused rather than mangled.
 */
export function totpUri({ issuer, accountName, secret }: TotpUriOptions): string {
  if (!issuer || !accountName || issuer.includes(':') || accountName.includes(':')) {
    throw new TypeError('The TOTP issuer and account name must be non-empty and contain no colon');
  }
  return generateURI({ strategy: 'totp', issuer, label: accountName, secret, algorithm: 'sha1', digits: 6, period: PERIOD_SECONDS });
}
