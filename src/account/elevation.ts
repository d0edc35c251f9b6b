/**
 * When the console lets a session change how the account signs in. Pure.
 *
 * Security rule "a change to sign-in methods needs a fresh re-authentication": a console
 * session may add, change, rename or remove a factor only within ELEVATION_MS of an
 * authentication that (1) happened at most FRESH_AUTH_S before its code was issued, and
 * (2) reached two factors when the account has one, so a stolen password alone never
 * removes the second factor.
 */
import { meets } from '../factors/assurance.js';
import { ACR } from '../oidc/acr.js';

/** How long a re-authentication lets the session make changes. */
export const ELEVATION_MS = 5 * 60_000;
/** How old an authentication may be when its code is issued and still count as "just now". */
export const FRESH_AUTH_S = 60;

/** The acr a re-authentication must ask for: two factors when the account has any. */
export function reauthAcr(hasFactors: boolean): string | undefined {
  return hasFactors ? ACR.multiFactor : undefined;
}

export interface Authentication {
  /** auth_time, epoch seconds. */
  authTime: number;
  /** When the authorization code was issued (its iat), epoch seconds. */
  codeIssuedAt: number;
  acr: string | undefined;
}

/**
 * Until when (epoch ms, on our clock) an authentication elevates the session; 0 when it
 * does not. Its age is measured from auth_time to the code's issue time, both stamped by
 * node-oidc-provider's own clock, so an injected or skewed clock cannot make an old sign-in
 * look fresh; the code itself lives 60 seconds (PROVIDER_TTL.AuthorizationCode).
 */
export function elevatedUntil(auth: Authentication, hasFactors: boolean, nowMs: number): number {
  const ageS = auth.codeIssuedAt - auth.authTime;
  const fresh = ageS >= 0 && ageS <= FRESH_AUTH_S;
  // An unknown or missing acr ranks below every level, so it never elevates.
  const strongEnough = meets(auth.acr, hasFactors ? ACR.multiFactor : ACR.singleFactor);
  return fresh && strongEnough ? nowMs + ELEVATION_MS : 0;
}

export const isElevated = (until: number, nowMs: number): boolean => until > nowMs;
