import type { NewFactor } from './ports.js';

/*
 * Rules shared by the FactorStore adapters, so SQLite and MongoDB index and refuse the same
 * things.
 */

/**
 * The credential id a 'webauthn' factor is indexed under (null for other kinds). Required
 * and unique, because passwordless sign-in finds the account by it alone (WebAuthn L3
 * §7.1 step 26: a credential id registered to one user must not be registered again).
 */
export function credentialIdOf(factor: Pick<NewFactor, 'kind' | 'data'>): string | null {
  if (factor.kind !== 'webauthn') return null;
  const id = factor.data.credentialId;
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('A webauthn factor needs data.credentialId (a non-empty string)');
  return id;
}

/** Counters are TOTP steps and WebAuthn sign counts: whole and non-negative. */
export function assertCounter(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`Invalid factor counter: ${value}`);
}

/** The stored form of `data`: exactly what JSON keeps, the same on every backend. */
export function jsonData(data: Record<string, unknown>): Record<string, unknown> {
  const copy: unknown = JSON.parse(JSON.stringify(data));
  if (copy === null || typeof copy !== 'object' || Array.isArray(copy)) throw new TypeError('Factor data must be a JSON object');
  return copy as Record<string, unknown>;
}
