import type { Account, Factor, FactorKind } from '../store/ports.js';
import type { Proof } from './assurance.js';

/** Who is proving, from where, and when: everything a factor needs besides its own state. */
export interface FactorEnv {
  account: Account;
  ip: string;
  now: number;
}

export interface Challenge {
  view: FactorView;
  pending?: Record<string, unknown>;
}

/** A submitted form, already reduced to strings. */
export type FormInput = Record<string, string>;

/** What a page shows for a step of a factor (masked destination, QR code, …). */
export type FactorView = Record<string, unknown>;

/**
 * One second factor, behind the interface every factor shares (DESIGN: factors are peers).
 * Enrolment is two calls around a pending state that the caller keeps sealed in the flow;
 * verification consumes a code or a time step atomically and returns the proof, or throws
 * an AppError the page shows (wrong code, wait, cannot send).
 */
export interface FactorModule {
  readonly kind: FactorKind;
  /** The method's name on buttons and lists: "Authenticator app". */
  readonly title: string;
  /** Whether this deployment can use it now (e.g. text messages need a phone sender). */
  available(): boolean;
  /** One enrolled factor as a person recognises it: "Text message to •••• 58". */
  describe(factor: Factor): string;

  /** Starts setting it up from the first form (a phone number, an address; nothing for an app). Returns the pending state. */
  beginEnrolment(env: FactorEnv, input: FormInput): Promise<Record<string, unknown>>;
  /** What the confirmation page shows for a pending enrolment. */
  enrolmentView(env: FactorEnv, pending: Record<string, unknown>): Promise<FactorView>;
  /** Checks the confirmation code and stores the factor; the code's proof comes with it. */
  finishEnrolment(env: FactorEnv, pending: Record<string, unknown>, input: FormInput): Promise<{ factor: Factor; proof: Proof }>;

  /**
   * Prepares an answer (sends a code, makes a WebAuthn challenge); safe to call again for
   * "Resend code", which replaces the code. `pending` (kept sealed in the flow) comes back to verify.
   */
  challenge(env: FactorEnv, factor: Factor): Promise<Challenge>;
  /** What the challenge page shows again on a reload, from the pending state (nothing is sent). */
  challengeView(env: FactorEnv, factor: Factor, pending: Record<string, unknown> | undefined): Promise<FactorView>;
  /** Checks the answer; one atomic consumption decides, attempts are limited per account and factor. */
  verify(env: FactorEnv, factor: Factor, input: FormInput, pending: Record<string, unknown> | undefined): Promise<Proof>;
}

/** Digits of a typed code: spaces and dashes people type or paste are dropped, nothing else is forgiven. */
export function typedCode(input: FormInput, field = 'code'): string {
  return (input[field] ?? '').replace(/[\s-]/g, '').slice(0, 32);
}
