/**
 * The credential JSON a page posts back (from @simplewebauthn/browser), parsed before any of it
 * reaches the verifier: the library assumes well-typed input and would throw TypeErrors, or
 * worse, on anything else a form can carry.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';

const base64url = z.string().min(1).max(8192).regex(/^[A-Za-z0-9_-]+$/);

/** Transports the WebAuthn registry knows; anything else a browser reports is dropped, not stored. */
export const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;

const common = {
  id: base64url,
  rawId: base64url,
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  // Extension outputs are not used; kept only so the library sees the shape it expects.
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};

const registrationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    transports: z.array(z.string().max(32)).max(16).optional(),
  }),
});

const authenticationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
});

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The posted registration response, or null when it is not one. */
export function parseRegistration(text: string | undefined): RegistrationResponseJSON | null {
  const result = registrationSchema.safeParse(parseJson(text));
  return result.success ? (result.data as RegistrationResponseJSON) : null;
}

/** The posted assertion, or null when it is not one. */
export function parseAuthentication(text: string | undefined): AuthenticationResponseJSON | null {
  const result = authenticationSchema.safeParse(parseJson(text));
  return result.success ? (result.data as AuthenticationResponseJSON) : null;
}

export function knownTransports(transports: readonly string[] | undefined): string[] {
  return (transports ?? []).filter((t): t is (typeof TRANSPORTS)[number] => (TRANSPORTS as readonly string[]).includes(t));
}
