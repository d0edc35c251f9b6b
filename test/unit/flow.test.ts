import { flowStateSchema, InvalidTransition, loginResult, startSignIn, startSignUp, startStepUp, transition, type FlowFacts } from '../../src/interaction/flow.js';
import type { Proof } from '../../src/factors/assurance.js';

const TWO_FA = 'urn:latchkey:acr:2fa';
const pwd: Proof = { method: 'pwd', at: 1 };
const totpProof: Proof = { method: 'totp', factorId: 't1', at: 2 };
const none: FlowFacts = { factors: [], enrollable: ['totp', 'phone', 'email'] };
const withTotp: FlowFacts = { factors: [{ id: 't1', kind: 'totp' }], enrollable: ['totp', 'phone', 'email'] };
const withTotpAndPhone: FlowFacts = { factors: [{ id: 't1', kind: 'totp' }, { id: 'p1', kind: 'phone' }], enrollable: ['totp'] };

describe('the sign-in flow machine', () => {
  test('password only, nothing enrolled, nothing required: done at 1fa', () => {
    const state = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, none);
    expect(state.step).toBe('done');
    expect(loginResult(state)).toEqual({ accountId: 'a', amr: ['pwd'], acr: 'urn:latchkey:acr:1fa' });
  });

  test('an account with a factor always answers it, then finishes at 2fa', () => {
    const afterPassword = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, withTotp);
    expect(afterPassword).toMatchObject({ step: 'factor', factorId: 't1' });
    const done = transition(afterPassword, { type: 'factor_verified', proof: totpProof }, withTotp);
    expect(loginResult(done)).toEqual({ accountId: 'a', amr: ['pwd', 'otp', 'mfa'], acr: TWO_FA });
  });

  test('a proof for another factor than the one asked is refused', () => {
    const afterPassword = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, withTotpAndPhone);
    expect(() => transition(afterPassword, { type: 'factor_verified', proof: { method: 'sms', factorId: 'p1', at: 3 } }, withTotpAndPhone)).toThrow(InvalidTransition);
  });

  test('"Authenticate a different way" lists the factors and switches to the chosen one', () => {
    const afterPassword = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, withTotpAndPhone);
    const choosing = transition(afterPassword, { type: 'choose_other' }, withTotpAndPhone);
    expect(choosing.step).toBe('choose_factor');
    expect(() => transition(choosing, { type: 'factor_chosen', factorId: 'someone-elses' }, withTotpAndPhone)).toThrow(InvalidTransition);
    const phone = transition(choosing, { type: 'factor_chosen', factorId: 'p1' }, withTotpAndPhone);
    expect(phone).toMatchObject({ step: 'factor', factorId: 'p1' });
    const done = transition(phone, { type: 'factor_verified', proof: { method: 'sms', factorId: 'p1', channel: '+44', at: 3 } }, withTotpAndPhone);
    expect(loginResult(done).amr).toEqual(['pwd', 'sms', 'mfa']);
  });

  test('2fa required and nothing enrolled: enrol first, then done at 2fa', () => {
    const afterPassword = transition(startSignIn('u', TWO_FA), { type: 'password_verified', accountId: 'a', proof: pwd }, none);
    expect(afterPassword.step).toBe('enrol_required');
    expect(() => transition(afterPassword, { type: 'enrol_chosen', kind: 'webauthn' }, none)).toThrow(InvalidTransition);
    const enrolling = transition(afterPassword, { type: 'enrol_chosen', kind: 'totp' }, none);
    expect(enrolling).toMatchObject({ step: 'enrol', enrolKind: 'totp' });
    const done = transition(enrolling, { type: 'enrol_finished', proof: totpProof }, withTotp);
    expect(loginResult(done).acr).toBe(TWO_FA);
  });

  test('phr with only an authenticator app is unmet, never a weaker login', () => {
    const state = transition(startSignIn('u', 'phr'), { type: 'password_verified', accountId: 'a', proof: pwd }, withTotp);
    expect(state.step).toBe('unmet');
    expect(() => loginResult(state)).toThrow();
  });

  test('step-up keeps the session password and asks for the factor only', () => {
    const state = startStepUp('u', 'a', [pwd], TWO_FA, withTotp);
    expect(state).toMatchObject({ step: 'factor', factorId: 't1', accountId: 'a' });
  });

  test('nothing moves a finished flow, and the stored shape is validated', () => {
    const done = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, none);
    expect(() => transition(done, { type: 'password_verified', accountId: 'b', proof: pwd }, none)).toThrow(InvalidTransition);
    expect(flowStateSchema.safeParse(done).success).toBe(true);
    expect(flowStateSchema.safeParse({ ...done, step: 'elsewhere' }).success).toBe(false);
    expect(flowStateSchema.safeParse({ ...done, proofs: [{ method: 'magic', at: 1 }] }).success).toBe(false);
  });

  test('create account: form, code, then done at 1fa with the password it chose', () => {
    const form = transition(startSignIn('u', undefined), { type: 'signup_started' }, none);
    expect(form.step).toBe('signup');
    const code = transition(form, { type: 'signup_code_sent' }, none);
    expect(code.step).toBe('signup_code');
    const done = transition(code, { type: 'signup_verified', accountId: 'new', proof: pwd }, none);
    expect(loginResult(done)).toEqual({ accountId: 'new', amr: ['pwd'], acr: 'urn:latchkey:acr:1fa' });
  });

  test('create account for a client that demands 2fa continues to enrolment', () => {
    const code = transition(startSignUp('u', TWO_FA), { type: 'signup_code_sent' }, none);
    expect(transition(code, { type: 'signup_verified', accountId: 'new', proof: pwd }, none).step).toBe('enrol_required');
  });

  test('an address in use, and Cancel, lead back to the sign-in step; nothing skips the code', () => {
    const code = transition(startSignUp('u', undefined), { type: 'signup_code_sent' }, none);
    const taken = transition(code, { type: 'signup_email_taken' }, none);
    expect(taken.step).toBe('signup_taken');
    expect(taken.accountId).toBeUndefined();
    expect(transition(taken, { type: 'signup_cancelled' }, none).step).toBe('password');
    expect(transition(code, { type: 'signup_cancelled' }, none).step).toBe('password');
    expect(() => transition(startSignUp('u', undefined), { type: 'signup_verified', accountId: 'x', proof: pwd }, none)).toThrow(InvalidTransition);
    expect(() => transition(taken, { type: 'signup_verified', accountId: 'x', proof: pwd }, none)).toThrow(InvalidTransition);
    expect(() => transition(startSignIn('u', undefined), { type: 'signup_code_sent' }, none)).toThrow(InvalidTransition);
  });
});

describe('an enrolled factor this deployment cannot use now', () => {
  const unusable: FlowFacts = { factors: [{ id: 'p1', kind: 'phone', usable: false }], enrollable: ['totp'] };

  test('still means 2FA is on: no password-only login, and it cannot be chosen', () => {
    const state = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, unusable);
    expect(state.step).toBe('unmet');
    const mixed: FlowFacts = { factors: [{ id: 'p1', kind: 'phone', usable: false }, { id: 't1', kind: 'totp' }], enrollable: [] };
    const asked = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, mixed);
    expect(asked).toMatchObject({ step: 'factor', factorId: 't1' });
    const choosing = transition(asked, { type: 'choose_other' }, mixed);
    expect(() => transition(choosing, { type: 'factor_chosen', factorId: 'p1' }, mixed)).toThrow(InvalidTransition);
  });
});

describe('an account whose email address is not verified', () => {
  const unverified: FlowFacts = { ...none, emailVerified: false };
  const unverifiedWithTotp: FlowFacts = { ...withTotp, emailVerified: false };

  test('after the password: verify_email first, then done at 1fa; the code adds no proof', () => {
    const asked = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, unverified);
    expect(asked).toMatchObject({ step: 'verify_email', accountId: 'a', proofs: [pwd] });
    expect(() => loginResult(asked)).toThrow();
    expect(flowStateSchema.safeParse(asked).success).toBe(true);
    const done = transition(asked, { type: 'email_verified' }, { ...unverified, emailVerified: true });
    expect(loginResult(done)).toEqual({ accountId: 'a', amr: ['pwd'], acr: 'urn:latchkey:acr:1fa' });
  });

  test('after a passkey too', () => {
    const passkey: Proof = { method: 'webauthn', factorId: 'w1', userVerified: true, at: 1 };
    const facts: FlowFacts = { factors: [{ id: 'w1', kind: 'webauthn' }], enrollable: [], emailVerified: false };
    const asked = transition(startSignIn('u', undefined), { type: 'passkey_verified', accountId: 'a', proof: passkey }, facts);
    expect(asked.step).toBe('verify_email');
    expect(transition(asked, { type: 'email_verified' }, facts).step).toBe('done');
  });

  test('with a factor: the address, then the factor, then 2fa', () => {
    const asked = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, unverifiedWithTotp);
    expect(asked.step).toBe('verify_email');
    const factor = transition(asked, { type: 'email_verified' }, unverifiedWithTotp);
    expect(factor).toMatchObject({ step: 'factor', factorId: 't1' });
    expect(loginResult(transition(factor, { type: 'factor_verified', proof: totpProof }, unverifiedWithTotp)).acr).toBe(TWO_FA);
  });

  test('a client that demands 2fa: the address, then enrolment', () => {
    const asked = transition(startSignIn('u', TWO_FA), { type: 'password_verified', accountId: 'a', proof: pwd }, unverified);
    expect(asked.step).toBe('verify_email');
    expect(transition(asked, { type: 'email_verified' }, unverified).step).toBe('enrol_required');
  });

  test('nothing else moves the step, and the event means nothing elsewhere', () => {
    const asked = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, unverifiedWithTotp);
    expect(() => transition(asked, { type: 'factor_verified', proof: totpProof }, unverifiedWithTotp)).toThrow(InvalidTransition);
    expect(() => transition(asked, { type: 'choose_other' }, unverifiedWithTotp)).toThrow(InvalidTransition);
    expect(() => transition(asked, { type: 'password_verified', accountId: 'b', proof: pwd }, unverifiedWithTotp)).toThrow(InvalidTransition);
    expect(() => transition(startSignIn('u', undefined), { type: 'email_verified' }, none)).toThrow(InvalidTransition);
    const factor = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, withTotp);
    expect(() => transition(factor, { type: 'email_verified' }, withTotp)).toThrow(InvalidTransition);
  });

  test('a verified account (or facts without the flag) never sees the step', () => {
    const facts: FlowFacts = { ...withTotp, emailVerified: true };
    expect(transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, facts).step).toBe('factor');
    expect(transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, none).step).toBe('done');
  });
});

describe('the join offer after creating an account', () => {
  const newAccount: FlowFacts = { factors: [], enrollable: ['totp'], offerJoin: true };

  test('comes right after the sign-up code when offered, and either answer continues the flow', () => {
    const codeStep = { ...startSignIn('u', undefined), step: 'signup_code' as const };
    const offer = transition(codeStep, { type: 'signup_verified', accountId: 'a', proof: pwd }, newAccount);
    expect(offer).toMatchObject({ step: 'join_offer', accountId: 'a' });
    expect(transition(offer, { type: 'join_done' }, newAccount).step).toBe('done');
    expect(() => transition(offer, { type: 'factor_verified', proof: totpProof }, newAccount)).toThrow(InvalidTransition);
    expect(transition(codeStep, { type: 'signup_verified', accountId: 'a', proof: pwd }, { ...newAccount, offerJoin: false }).step).toBe('done');
  });
});

describe('recovery key and backup codes', () => {
  const PHR = 'phr';
  const recoveryFacts: FlowFacts = { ...withTotp, recovery: { codes: 2, key: true } };
  const atFactor = () => transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, recoveryFacts);
  const atChoice = () => transition(atFactor(), { type: 'choose_other' }, recoveryFacts);

  test('"Use a backup code" completes sign-in at 2fa, through the notice of codes left', () => {
    const chosen = transition(atChoice(), { type: 'recovery_chosen', method: 'backup_code' }, recoveryFacts);
    expect(chosen).toMatchObject({ step: 'recovery', recoveryMethod: 'backup_code' });
    const proof: Proof = { method: 'backup_code', at: 3 };
    const notice = transition(chosen, { type: 'factor_verified', proof }, { ...recoveryFacts, recovery: { codes: 1, key: true } });
    expect(notice).toMatchObject({ step: 'recovery_notice', recoveryMethod: 'backup_code' });
    const done = transition(notice, { type: 'notice_seen' }, recoveryFacts);
    expect(done.step).toBe('done');
    expect(loginResult(done)).toMatchObject({ acr: TWO_FA, amr: ['pwd', 'otp', 'mfa'] });
  });

  test('a proof of the other recovery method does not answer the step', () => {
    const chosen = transition(atChoice(), { type: 'recovery_chosen', method: 'recovery_key' }, recoveryFacts);
    expect(() => transition(chosen, { type: 'factor_verified', proof: { method: 'backup_code', at: 3 } }, recoveryFacts)).toThrow(InvalidTransition);
  });

  test('a method the account has no more of is not offered', () => {
    const facts: FlowFacts = { ...withTotp, recovery: { codes: 0, key: false } };
    const choice = transition(transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, facts), { type: 'choose_other' }, facts);
    expect(() => transition(choice, { type: 'recovery_chosen', method: 'backup_code' }, facts)).toThrow(InvalidTransition);
    expect(() => transition(choice, { type: 'recovery_chosen', method: 'recovery_key' }, facts)).toThrow(InvalidTransition);
    expect(() => transition(choice, { type: 'recovery_chosen', method: 'backup_code' }, withTotp)).toThrow(InvalidTransition);
  });

  test('never phishing-resistant: with phr required, a backup code leads on to a WebAuthn factor', () => {
    const facts: FlowFacts = { factors: [{ id: 'w1', kind: 'webauthn' }], enrollable: [], recovery: { codes: 5, key: true } };
    const atWebauthn = transition(startSignIn('u', PHR as never), { type: 'password_verified', accountId: 'a', proof: pwd }, facts);
    expect(atWebauthn).toMatchObject({ step: 'factor', factorId: 'w1' });
    const chosen = transition(transition(atWebauthn, { type: 'choose_other' }, facts), { type: 'recovery_chosen', method: 'backup_code' }, facts);
    const next = transition(chosen, { type: 'factor_verified', proof: { method: 'backup_code', at: 3 } }, facts);
    expect(next).toMatchObject({ step: 'factor', factorId: 'w1' });
  });

  test('the first factor set up at sign-in is followed by the recovery codes, which need the acknowledgement', () => {
    const enrolFacts: FlowFacts = { ...none, recovery: { codes: 0, key: false } };
    const required = transition(startSignIn('u', TWO_FA), { type: 'password_verified', accountId: 'a', proof: pwd }, enrolFacts);
    const enrol = transition(required, { type: 'enrol_chosen', kind: 'totp' }, enrolFacts);
    const shown = transition(enrol, { type: 'enrol_finished', proof: totpProof }, { ...withTotp, recovery: { codes: 0, key: false } });
    expect(shown.step).toBe('show_recovery_codes');
    expect(() => loginResult(shown)).toThrow();
    expect(transition(shown, { type: 'recovery_codes_saved' }, { ...withTotp, recovery: { codes: 10, key: true } }).step).toBe('done');
    // Without a recovery service (facts without it), enrolment finishes as before.
    expect(transition(enrol, { type: 'enrol_finished', proof: totpProof }, withTotp).step).toBe('done');
  });
});

describe('recovery when no enrolled factor can be answered now', () => {
  test('the recovery key and backup codes are offered instead of a dead end; without them, unmet', () => {
    const stranded: FlowFacts = { factors: [{ id: 'p1', kind: 'phone', usable: false }], enrollable: [], recovery: { codes: 4, key: true } };
    const state = transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, stranded);
    expect(state.step).toBe('choose_factor');
    const noRecovery: FlowFacts = { ...stranded, recovery: { codes: 0, key: false } };
    expect(transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, noRecovery).step).toBe('unmet');
    // phr is never reached with a recovery code: still unmet.
    expect(transition(startSignIn('u', 'phr'), { type: 'password_verified', accountId: 'a', proof: pwd }, stranded).step).toBe('unmet');
  });
});
