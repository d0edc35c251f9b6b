import { z } from 'zod';
import type { SecretBox } from '../crypto/secret-box.js';
import type { FactorKind } from '../store/ports.js';
import type { ConsoleSession } from './console-session.js';

/** A setup left half-way is forgotten after this long (an emailed or texted code lives 10 minutes too). */
export const ENROLMENT_TTL_MS = 10 * 60_000;

const enrolmentSchema = z.object({
  kind: z.enum(['totp', 'webauthn', 'phone', 'email']),
  /** The module's pending state (a new TOTP seed, a destination awaiting its code). */
  pending: z.record(z.string(), z.unknown()),
  startedAt: z.number(),
  /** Changing a phone number: the factor the new one replaces once confirmed. */
  replaces: z.string().optional(),
});
export type Enrolment = z.infer<typeof enrolmentSchema> & { kind: FactorKind };

/**
 * The console's pending enrolment, sealed into the console session entry (security rule
 * "enrolment secrets are never in a cookie or at rest in clear"): a TOTP seed not yet
 * confirmed is as good as the factor. Sealed for this session id, so a sealed value
 * copied into another session does not open.
 */
export function createEnrolmentSeal(box: SecretBox) {
  const purpose = (session: ConsoleSession) => `account.enrolment:${session.id}`;
  return {
    seal(session: ConsoleSession, enrolment: Enrolment): ConsoleSession {
      return { ...session, enrolment: box.seal(JSON.stringify(enrolment), purpose(session)) };
    },
    /** The session's enrolment, or undefined when there is none or it does not open. Expiry is the caller's check. */
    open(session: ConsoleSession): Enrolment | undefined {
      if (!session.enrolment) return undefined;
      try {
        return enrolmentSchema.parse(JSON.parse(box.open(session.enrolment, purpose(session))));
      } catch {
        return undefined;
      }
    },
    clear(session: ConsoleSession): ConsoleSession {
      const { enrolment: _dropped, ...rest } = session;
      return rest;
    },
  };
}

export const enrolmentExpired = (enrolment: Enrolment, nowMs: number): boolean => nowMs - enrolment.startedAt > ENROLMENT_TTL_MS;
