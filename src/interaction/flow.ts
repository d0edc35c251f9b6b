/**
 * The sign-in flow as an explicit, pure state machine. The state lives in node-oidc-provider's
 * Interaction record (see flow-store.ts); `transition` never does I/O: what it needs to know
 * about the account (its factors) comes in as facts loaded by the caller, and every proof
 * comes from an atomic consumption made before the event is raised.
 *
 * Only `done` is handed to node-oidc-provider (with amr/acr from assurance.ts); `unmet` ends
 * the request with unmet_authentication_requirements, never with a weaker login.
 */
import { z } from 'zod';
import { assurance, isMultiFactor, meets, type Acr, type Proof } from '../factors/assurance.js';
import { ACR } from '../oidc/acr.js';

export const FACTOR_KINDS = ['totp', 'webauthn', 'phone', 'email'] as const;
export type FactorKind = (typeof FACTOR_KINDS)[number];

export const STEPS = [
  'password',
  // An account whose address is not verified (created by the CLI or an administrator): a code to it first.
  'verify_email',
  'factor',
  'choose_factor',
  'enrol_required',
  'enrol',
  // The first factor was just set up, or the recovery key was used: a new recovery key and
  // backup codes, shown once, acknowledged.
  'show_recovery_codes',
  // "Use recovery key" / "Use a backup code" from "Authenticate a different way".
  'recovery',
  // After signing in with one: how many backup codes are left (or that the key is used up).
  'recovery_notice',
  // "Use backup method": a code to the backup phone or email, then the 2FA reset offer
  // ("Remove the device and add new one" → "Send 2-factor authentication email" → sent).
  'backup_method',
  'no_backup_method',
  'reset_offer',
  'reset_email',
  'reset_sent',
  // Create account: the form, the emailed code, "already in use" (sign-up.ts).
  'signup',
  'signup_code',
  'signup_taken',
  // Right after creating an account: "Join a subscription" (optional; src/orgs).
  'join_offer',
  'done',
  'unmet',
] as const;
export type Step = (typeof STEPS)[number];

const proofSchema = z.object({
  method: z.enum(['pwd', 'totp', 'webauthn', 'sms', 'voice', 'email', 'backup_code', 'recovery_key']),
  factorId: z.string().optional(),
  channel: z.string().optional(),
  userVerified: z.boolean().optional(),
  backedUp: z.boolean().optional(),
  at: z.number(),
  purpose: z.enum(['sign_in', 'reset_2fa']).optional(),
});

/** The flow state as stored; parsed on every read, so a tampered or stale record is refused. */
export const flowStateSchema = z.object({
  v: z.literal(1),
  uid: z.string(),
  /**
   * Fixed when the flow starts: signing in, or setting up 2FA again from the emailed reset
   * link (the password again, then a new factor: recovery/two-factor-reset.ts).
   */
  purpose: z.enum(['sign_in', 'reset_2fa']),
  accountId: z.string().optional(),
  step: z.enum(STEPS),
  proofs: z.array(proofSchema),
  requiredAcr: z.enum([ACR.singleFactor, ACR.multiFactor, ACR.phishingResistant]).optional(),
  /** The factor being answered (step `factor`). */
  factorId: z.string().optional(),
  /** The kind being set up (step `enrol`). */
  enrolKind: z.enum(FACTOR_KINDS).optional(),
  /** The recovery method being answered (steps `recovery`, `recovery_notice`). */
  recoveryMethod: z.enum(['backup_code', 'recovery_key']).optional(),
  /** Secret material of the current step (a new TOTP seed, a challenge), sealed. */
  pending: z.string().optional(),
});
export type FlowState = z.infer<typeof flowStateSchema>;

/** What the caller knows about the account when it raises an event. */
export interface FlowFacts {
  /**
   * The account's enrolled factors, most preferred first. `usable: false` (its channel is not
   * configured now) still means 2FA is on: such a factor can only not be answered.
   */
  factors: { id: string; kind: FactorKind; usable?: boolean }[];
  /** Kinds this deployment can enrol now (e.g. no text messages without a phone sender). */
  enrollable: FactorKind[];
  /**
   * False for an account whose login address was never verified: after the password (or a
   * passkey) it confirms the address with an emailed code first. Absent means verified.
   */
  emailVerified?: boolean;
  /**
   * The account's recovery key and unused backup codes (absent: this deployment has none).
   * Offered under "Authenticate a different way"; a first factor set up during sign-in is
   * followed by a new set, shown once.
   */
  recovery?: { codes: number; key: boolean };
  /** Whether a new account is offered to join a subscription before it continues. */
  offerJoin?: boolean;
  /** Whether the account has a backup method ("Use backup method"). */
  backupMethod?: boolean;
  /** Support reset the account's 2FA: it sets up a factor before the sign-in finishes. */
  enrolmentRequired?: boolean;
}

export type FlowEvent =
  | { type: 'password_verified'; accountId: string; proof: Proof }
  /** A passkey with user verification on the sign-in page: the account is known only now. */
  | { type: 'passkey_verified'; accountId: string; proof: Proof }
  /**
   * The code emailed to the login address was right and the account is marked verified. Not
   * a factor: it adds no proof, the flow continues as it would have after the password.
   */
  | { type: 'email_verified' }
  | { type: 'factor_verified'; proof: Proof }
  | { type: 'choose_other' }
  | { type: 'factor_chosen'; factorId: string }
  | { type: 'enrol_chosen'; kind: FactorKind }
  | { type: 'enrol_finished'; proof: Proof }
  /** "Use recovery key" or "Use a backup code" on "Authenticate a different way". */
  | { type: 'recovery_chosen'; method: RecoveryMethod }
  /** The person ticked "I have saved my recovery key and backup codes". */
  | { type: 'recovery_codes_saved' }
  /** Continue from the notice after a recovery sign-in. */
  | { type: 'notice_seen' }
  /** "Use backup method" on "Authenticate a different way". */
  | { type: 'backup_chosen' }
  /** The backup method's code was right: a proof for the 2FA reset, never for signing in. */
  | { type: 'backup_verified'; proof: Proof }
  /** "Remove the device and add new one". */
  | { type: 'reset_chosen' }
  /** "Send 2-factor authentication email": the link went to the login address. */
  | { type: 'reset_email_sent' }
  /** "Create account" on the sign-in page. */
  | { type: 'signup_started' }
  /** The form was accepted and a code sent (the pending sign-up is sealed in the new step). */
  | { type: 'signup_code_sent' }
  /** The code was right and the account created: it signs in with the password it chose. */
  | { type: 'signup_verified'; accountId: string; proof: Proof }
  /** On the join offer: a request was made, or the person chose to skip it. */
  | { type: 'join_done' }
  /** The code was right, but the address has an account. */
  | { type: 'signup_email_taken' }
  /** Cancel, or "Sign in" from "already in use": back to the sign-in page. */
  | { type: 'signup_cancelled' };

export type RecoveryMethod = 'backup_code' | 'recovery_key';

export class InvalidTransition extends Error {
  constructor(state: FlowState, event: FlowEvent) {
    super(`Event ${event.type} is not allowed in step ${state.step}`);
    this.name = 'InvalidTransition';
  }
}

/** A new sign-in: the password first. */
export function startSignIn(uid: string, requiredAcr: Acr | undefined): FlowState {
  return { v: 1, uid, purpose: 'sign_in', step: 'password', proofs: [], requiredAcr };
}

/**
 * Setting up 2FA again from the emailed link: the link's account, its password again (the
 * link itself is used up only once the password is right), then a new factor.
 */
export function startTwoFactorReset(uid: string, accountId: string, requiredAcr: Acr | undefined): FlowState {
  return { v: 1, uid, purpose: 'reset_2fa', step: 'password', accountId, proofs: [], requiredAcr };
}

/** A new sign-in that starts at "Create account" (prompt=create). */
export function startSignUp(uid: string, requiredAcr: Acr | undefined): FlowState {
  return { ...startSignIn(uid, requiredAcr), step: 'signup' };
}

/**
 * A session that is signed in but below the level a client asks for: keeps what the
 * session proved (its password) and continues at the factor step, not the password again.
 */
export function startStepUp(uid: string, accountId: string, sessionProofs: Proof[], requiredAcr: Acr, facts: FlowFacts): FlowState {
  return advance({ v: 1, uid, purpose: 'sign_in', step: 'password', accountId, proofs: sessionProofs, requiredAcr }, facts);
}

/** Factor kinds that can give a phishing-resistant proof. */
const PHISHING_RESISTANT: readonly FactorKind[] = ['webauthn'];

/**
 * Where the flow goes once the proofs changed. An account with a second factor always
 * answers it (2FA on means 2FA); an account without one is asked to set one up when the
 * client demands more than one factor; a level no enrolled or enrollable factor reaches
 * ends in `unmet`.
 */
function advance(state: FlowState, facts: FlowFacts): FlowState {
  const { acr } = assurance(signInProofs(state));
  const required = state.requiredAcr;
  const mustEnrol = facts.factors.length === 0 && facts.enrolmentRequired === true;
  const enough = meets(acr, required) && (facts.factors.length === 0 || meets(acr, ACR.multiFactor)) && !mustEnrol;
  const base = { ...state, factorId: undefined, enrolKind: undefined, recoveryMethod: undefined, pending: undefined };
  if (enough) return { ...base, step: 'done' };
  const usable = facts.factors.filter((f) => f.usable !== false);
  const candidates = required === ACR.phishingResistant ? usable.filter((f) => PHISHING_RESISTANT.includes(f.kind)) : usable;
  const unused = candidates.filter((f) => !state.proofs.some((p) => p.factorId === f.id));
  if (unused.length > 0) return { ...base, step: 'factor', factorId: unused[0]!.id };
  // Enrolled factors none of which can be answered now (a channel no longer configured): the
  // saved recovery key or a backup code still can, from "Authenticate a different way".
  // So can a backup method (phone or email) open the 2FA reset.
  const recovered = state.proofs.some((p) => p.method === 'backup_code' || p.method === 'recovery_key');
  const helps = recoveryUseful('backup_code', state, facts) || recoveryUseful('recovery_key', state, facts) || facts.backupMethod === true;
  if (facts.factors.length > 0 && required !== ACR.phishingResistant && !recovered && helps) {
    return { ...base, step: 'choose_factor' };
  }
  if (facts.factors.length === 0) {
    const kinds = enrollableFor(required, facts, state);
    if (kinds.length > 0) return { ...base, step: 'enrol_required' };
  }
  return { ...base, step: 'unmet' };
}

/**
 * The proofs that count toward signing in. Security rule "a proof made for another purpose
 * never counts as signing in": the backup method's code only opens the 2FA reset.
 */
export function signInProofs(state: Pick<FlowState, 'proofs'>): FlowState['proofs'] {
  return state.proofs.filter((p) => p.purpose !== 'reset_2fa');
}

/** Whether the account has this recovery method left to use. */
export function recoveryOffered(method: RecoveryMethod, facts: FlowFacts): boolean {
  return method === 'backup_code' ? (facts.recovery?.codes ?? 0) > 0 : facts.recovery?.key === true;
}

/**
 * Whether using this recovery method now would finish the sign-in's second factor: offered
 * only then, so a code is never spent for nothing (after a password set through the login
 * inbox, a saved code and that inbox are not two factors: assurance.ts).
 */
export function recoveryUseful(method: RecoveryMethod, state: Pick<FlowState, 'proofs'>, facts: FlowFacts): boolean {
  if (!recoveryOffered(method, facts)) return false;
  const proofs = signInProofs(state);
  return proofs.length > 0 && isMultiFactor([...proofs, { method, at: 0 }]);
}

/** The proof method a new factor of each kind gives when it is confirmed. */
const ENROLMENT_PROOF: Record<FactorKind, Proof['method']> = { totp: 'totp', webauthn: 'webauthn', phone: 'sms', email: 'email' };

/**
 * What an account without a factor (or resetting 2FA) may set up to reach `required`:
 * only kinds whose confirmation makes two factors with what was proven already (after a
 * password set through the login inbox, an email code would be that inbox again).
 */
export function enrollableFor(required: Acr | undefined, facts: FlowFacts, state: Pick<FlowState, 'proofs'>): FactorKind[] {
  const kinds = required === ACR.phishingResistant ? facts.enrollable.filter((k) => PHISHING_RESISTANT.includes(k)) : facts.enrollable;
  const proofs = signInProofs(state);
  if (proofs.length === 0) return kinds;
  return kinds.filter((kind) => isMultiFactor([...proofs, { method: ENROLMENT_PROOF[kind], at: 0 }]));
}

export function transition(state: FlowState, event: FlowEvent, facts: FlowFacts): FlowState {
  switch (state.step) {
    case 'password':
      // The reset link's flow: the password again, then a new factor whatever the account has now.
      if (state.purpose === 'reset_2fa') {
        if (event.type === 'password_verified' && event.accountId === state.accountId) {
          return { ...state, step: 'enrol_required', proofs: [event.proof], pending: undefined };
        }
        break;
      }
      if (event.type === 'password_verified' || event.type === 'passkey_verified') {
        const signedIn = { ...state, accountId: event.accountId, proofs: [event.proof] };
        if (facts.emailVerified === false) return { ...signedIn, step: 'verify_email', factorId: undefined, enrolKind: undefined, pending: undefined };
        return advance(signedIn, facts);
      }
      if (event.type === 'signup_started') return { ...state, step: 'signup', pending: undefined };
      break;
    case 'verify_email':
      if (event.type === 'email_verified') return advance(state, facts);
      break;
    case 'factor':
      if (event.type === 'factor_verified' && event.proof.factorId === state.factorId) {
        return advance({ ...state, proofs: [...state.proofs, event.proof] }, facts);
      }
      if (event.type === 'choose_other') return { ...state, step: 'choose_factor', factorId: undefined, pending: undefined };
      break;
    case 'choose_factor':
      if (event.type === 'factor_chosen' && facts.factors.some((f) => f.id === event.factorId && f.usable !== false)) {
        return { ...state, step: 'factor', factorId: event.factorId, pending: undefined };
      }
      if (event.type === 'recovery_chosen' && recoveryUseful(event.method, state, facts)) {
        return { ...state, step: 'recovery', recoveryMethod: event.method, factorId: undefined, pending: undefined };
      }
      // Offered to every account with 2FA on: without a backup method the page says so.
      if (event.type === 'backup_chosen' && facts.factors.length > 0) {
        return { ...state, step: facts.backupMethod ? 'backup_method' : 'no_backup_method', factorId: undefined, pending: undefined };
      }
      break;
    case 'backup_method':
      if (event.type === 'backup_verified' && event.proof.purpose === 'reset_2fa') {
        return { ...state, step: 'reset_offer', proofs: [...state.proofs, event.proof], pending: undefined };
      }
      if (event.type === 'choose_other') return { ...state, step: 'choose_factor', pending: undefined };
      break;
    case 'no_backup_method':
      if (event.type === 'choose_other') return { ...state, step: 'choose_factor', pending: undefined };
      break;
    case 'reset_offer':
      if (event.type === 'reset_chosen') return { ...state, step: 'reset_email', pending: undefined };
      if (event.type === 'choose_other') return { ...state, step: 'choose_factor', pending: undefined };
      break;
    case 'reset_email':
      if (event.type === 'reset_email_sent') return { ...state, step: 'reset_sent', pending: undefined };
      if (event.type === 'choose_other') return { ...state, step: 'choose_factor', pending: undefined };
      break;
    case 'reset_sent':
      // "Send it again" stays here (a new link replaces the old one).
      if (event.type === 'reset_email_sent') return { ...state, pending: undefined };
      break;
    case 'recovery':
      if (event.type === 'factor_verified' && event.proof.method === state.recoveryMethod) {
        const next = advance({ ...state, proofs: [...state.proofs, event.proof] }, facts);
        if (next.step !== 'done') return next;
        // The recovery key works once and is then replaced: a new key (with new backup codes),
        // shown once before handing over. A backup code: say how many are left.
        if (state.recoveryMethod === 'recovery_key' && facts.recovery) return { ...next, step: 'show_recovery_codes', recoveryMethod: 'recovery_key' };
        return { ...next, step: 'recovery_notice', recoveryMethod: state.recoveryMethod };
      }
      if (event.type === 'choose_other') return { ...state, step: 'choose_factor', recoveryMethod: undefined, pending: undefined };
      break;
    case 'recovery_notice':
      if (event.type === 'notice_seen') return advance(state, facts);
      break;
    case 'show_recovery_codes':
      // Nothing has to be burnt to prove it: the acknowledgement is the event.
      if (event.type === 'recovery_codes_saved') return advance(state, facts);
      break;
    case 'enrol_required':
      if (event.type === 'enrol_chosen' && enrollableFor(state.requiredAcr, facts, state).includes(event.kind)) {
        return { ...state, step: 'enrol', enrolKind: event.kind, pending: undefined };
      }
      break;
    case 'enrol':
      if (event.type === 'enrol_finished') {
        const next = advance({ ...state, proofs: [...state.proofs, event.proof] }, facts);
        // The account's first factor (the only way to reach `enrol`): its recovery set comes next, once.
        return next.step === 'done' && facts.recovery ? { ...next, step: 'show_recovery_codes' } : next;
      }
      if (event.type === 'choose_other') return { ...state, step: 'enrol_required', enrolKind: undefined, pending: undefined };
      break;
    case 'signup':
      if (event.type === 'signup_code_sent') return { ...state, step: 'signup_code', pending: undefined };
      if (event.type === 'signup_cancelled') return { ...state, step: 'password', pending: undefined };
      break;
    case 'signup_code':
      // A new account has no factor yet: it is done at 1fa, or asked to enrol when the client demands more.
      if (event.type === 'signup_verified') {
        const signedUp = { ...state, accountId: event.accountId, proofs: [event.proof] };
        return facts.offerJoin ? { ...signedUp, step: 'join_offer', pending: undefined } : advance(signedUp, facts);
      }
      if (event.type === 'signup_email_taken') return { ...state, step: 'signup_taken', pending: undefined };
      if (event.type === 'signup_cancelled') return { ...state, step: 'password', pending: undefined };
      break;
    case 'signup_taken':
      if (event.type === 'signup_cancelled') return { ...state, step: 'password', pending: undefined };
      break;
    case 'join_offer':
      if (event.type === 'join_done') return advance(state, facts);
      break;
    case 'done':
    case 'unmet':
      break;
  }
  throw new InvalidTransition(state, event);
}

/** The login result for node-oidc-provider; only a finished flow has one. */
export function loginResult(state: FlowState): { accountId: string; amr: string[]; acr: string } {
  if (state.step !== 'done' || !state.accountId) throw new Error(`The flow is not finished (step ${state.step})`);
  const { amr, acr } = assurance(signInProofs(state));
  return { accountId: state.accountId, amr, acr };
}
