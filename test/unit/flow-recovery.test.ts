/**
 * The pure sign-in machine's recovery parts: "Use backup method" and the 2FA reset offer,
 * the reset link's own flow (purpose reset_2fa), support's enrolmentRequired, when saved
 * codes are offered, and what those proofs are worth (assurance.ts).
 */
import { assurance, type Proof } from '../../src/factors/assurance.js';
import {
  flowStateSchema,
  InvalidTransition,
  loginResult,
  recoveryUseful,
  signInProofs,
  startSignIn,
  startTwoFactorReset,
  transition,
  type FlowFacts,
  type FlowState,
} from '../../src/interaction/flow.js';

const ONE_FA = 'urn:latchkey:acr:1fa';
const TWO_FA = 'urn:latchkey:acr:2fa';
const at = 1;
const pwd: Proof = { method: 'pwd', at };
/** A password chosen through an emailed link: it carries the login address, it is that inbox. */
const linkPwd: Proof = { method: 'pwd', channel: 'ada@example.com', at };
const totp: Proof = { method: 'totp', factorId: 't1', at: 2 };
const backupEmailCode: Proof = { method: 'email', channel: 'backup@example.org', at: 3 };
const backupSmsCode: Proof = { method: 'sms', channel: '+447700900123', at: 3 };

const withTotp: FlowFacts = { factors: [{ id: 't1', kind: 'totp' }], enrollable: ['totp', 'webauthn', 'phone', 'email'] };
const withBackup: FlowFacts = { ...withTotp, backupMethod: true };
const factorless: FlowFacts = { factors: [], enrollable: ['totp', 'webauthn', 'phone', 'email'] };

const signedIn = (facts: FlowFacts, proof: Proof = pwd): FlowState =>
  transition(startSignIn('u', undefined), { type: 'password_verified', accountId: 'a', proof }, facts);
const atChoice = (facts: FlowFacts = withBackup): FlowState => transition(signedIn(facts), { type: 'choose_other' }, facts);
const atBackup = (): FlowState => transition(atChoice(), { type: 'backup_chosen' }, withBackup);
const atOffer = (): FlowState => transition(atBackup(), { type: 'backup_verified', proof: { ...backupSmsCode, purpose: 'reset_2fa' } }, withBackup);

describe('"Use backup method" on "Authenticate a different way"', () => {
  test('with a backup method: its code page; without one: "No backup method set up"', () => {
    expect(transition(atChoice(), { type: 'backup_chosen' }, withBackup)).toMatchObject({ step: 'backup_method', accountId: 'a', proofs: [pwd] });
    const none = transition(atChoice(withTotp), { type: 'backup_chosen' }, withTotp);
    expect(none.step).toBe('no_backup_method');
    expect(transition(atChoice(withTotp), { type: 'backup_chosen' }, { ...withTotp, backupMethod: false }).step).toBe('no_backup_method');
  });

  test('refused for an account without factors (2FA off: nothing to reset), and before the password', () => {
    const choosing: FlowState = { ...startSignIn('u', undefined), accountId: 'a', proofs: [pwd], step: 'choose_factor' };
    expect(() => transition(choosing, { type: 'backup_chosen' }, { ...factorless, backupMethod: true })).toThrow(InvalidTransition);
    expect(() => transition(startSignIn('u', undefined), { type: 'backup_chosen' }, withBackup)).toThrow(InvalidTransition);
    // Nor from the factor step directly: only from the list of other ways.
    expect(() => transition(signedIn(withBackup), { type: 'backup_chosen' }, withBackup)).toThrow(InvalidTransition);
  });

  test('backup_verified moves to the reset offer only with a proof made for the reset (purpose reset_2fa)', () => {
    const backup = atBackup();
    expect(() => transition(backup, { type: 'backup_verified', proof: backupSmsCode }, withBackup)).toThrow(InvalidTransition);
    expect(() => transition(backup, { type: 'backup_verified', proof: { ...backupSmsCode, purpose: 'sign_in' } }, withBackup)).toThrow(InvalidTransition);
    // A code is not a factor answer here either.
    expect(() => transition(backup, { type: 'factor_verified', proof: backupSmsCode }, withBackup)).toThrow(InvalidTransition);
    const offer = transition(backup, { type: 'backup_verified', proof: { ...backupSmsCode, purpose: 'reset_2fa' } }, withBackup);
    expect(offer.step).toBe('reset_offer');
    expect(offer.proofs).toEqual([pwd, { ...backupSmsCode, purpose: 'reset_2fa' }]);
    expect(flowStateSchema.safeParse(offer).success).toBe(true);
    // Not signed in: the offer has no login result.
    expect(() => loginResult(offer)).toThrow();
  });

  test('reset_chosen → reset_email → reset_email_sent → reset_sent, and sending again stays there', () => {
    const email = transition(atOffer(), { type: 'reset_chosen' }, withBackup);
    expect(email.step).toBe('reset_email');
    const sent = transition(email, { type: 'reset_email_sent' }, withBackup);
    expect(sent.step).toBe('reset_sent');
    const again = transition(sent, { type: 'reset_email_sent' }, withBackup);
    expect(again.step).toBe('reset_sent');
    expect(again.proofs).toEqual(sent.proofs);
    // Nothing skips a step: no sending from the offer, no offer from the code page.
    expect(() => transition(atOffer(), { type: 'reset_email_sent' }, withBackup)).toThrow(InvalidTransition);
    expect(() => transition(atBackup(), { type: 'reset_chosen' }, withBackup)).toThrow(InvalidTransition);
    expect(() => transition(atBackup(), { type: 'reset_email_sent' }, withBackup)).toThrow(InvalidTransition);
    expect(() => transition(atChoice(), { type: 'reset_chosen' }, withBackup)).toThrow(InvalidTransition);
    // The end of this sign-in: nothing finishes it from there.
    for (const event of [{ type: 'reset_chosen' }, { type: 'recovery_codes_saved' }, { type: 'notice_seen' }, { type: 'factor_verified', proof: totp }] as const) {
      expect(() => transition(sent, event, withBackup)).toThrow(InvalidTransition);
    }
  });

  test('choose_other leads back to the list from each step before the email is sent', () => {
    const email = transition(atOffer(), { type: 'reset_chosen' }, withBackup);
    const noBackup = transition(atChoice(withTotp), { type: 'backup_chosen' }, withTotp);
    for (const state of [atBackup(), noBackup, atOffer(), email]) {
      const back = transition(state, { type: 'choose_other' }, withBackup);
      expect(back.step).toBe('choose_factor');
      expect(back.pending).toBeUndefined();
    }
    // Back from the offer keeps the reset proof, which still never counts toward signing in.
    const back = transition(atOffer(), { type: 'choose_other' }, withBackup);
    const done = transition(transition(back, { type: 'factor_chosen', factorId: 't1' }, withBackup), { type: 'factor_verified', proof: totp }, withBackup);
    expect(loginResult(done)).toEqual({ accountId: 'a', amr: ['pwd', 'otp', 'mfa'], acr: TWO_FA });
    // "Check your email" is the end of the journey in this browser.
    const sent = transition(email, { type: 'reset_email_sent' }, withBackup);
    expect(() => transition(sent, { type: 'choose_other' }, withBackup)).toThrow(InvalidTransition);
  });
});

describe('the reset link\'s flow (purpose reset_2fa)', () => {
  const recovery = { codes: 10, key: true };

  test('the password of another account is refused; a passkey or "Create account" too', () => {
    const start = startTwoFactorReset('u', 'a', undefined);
    expect(start).toMatchObject({ purpose: 'reset_2fa', step: 'password', accountId: 'a', proofs: [] });
    expect(() => transition(start, { type: 'password_verified', accountId: 'b', proof: pwd }, withTotp)).toThrow(InvalidTransition);
    expect(() => transition(start, { type: 'passkey_verified', accountId: 'a', proof: { method: 'webauthn', factorId: 'w', userVerified: true, at } }, withTotp)).toThrow(InvalidTransition);
    expect(() => transition(start, { type: 'signup_started' }, withTotp)).toThrow(InvalidTransition);
  });

  test('the link\'s account password → enrol_required even when the account has factors (a new one is set up, not answered)', () => {
    const start = startTwoFactorReset('u', 'a', undefined);
    const choose = transition(start, { type: 'password_verified', accountId: 'a', proof: pwd }, { ...withBackup, recovery });
    expect(choose).toMatchObject({ step: 'enrol_required', accountId: 'a', proofs: [pwd], purpose: 'reset_2fa' });
    expect(() => loginResult(choose)).toThrow();
    // An old factor is never answered here.
    expect(() => transition(choose, { type: 'factor_verified', proof: totp }, withTotp)).toThrow(InvalidTransition);
  });

  test('enrol_finished → show_recovery_codes → done at 2fa', () => {
    const choose = transition(startTwoFactorReset('u', 'a', undefined), { type: 'password_verified', accountId: 'a', proof: pwd }, withTotp);
    const enrol = transition(choose, { type: 'enrol_chosen', kind: 'email' }, withTotp);
    expect(enrol).toMatchObject({ step: 'enrol', enrolKind: 'email' });
    // The old factors went with the new one working: the facts now list only it.
    const after: FlowFacts = { factors: [{ id: 'e2', kind: 'email' }], enrollable: withTotp.enrollable, recovery: { codes: 0, key: false } };
    const newCode: Proof = { method: 'email', factorId: 'e2', channel: 'new@example.org', at: 4 };
    const shown = transition(enrol, { type: 'enrol_finished', proof: newCode }, after);
    expect(shown.step).toBe('show_recovery_codes');
    expect(() => loginResult(shown)).toThrow();
    const done = transition(shown, { type: 'recovery_codes_saved' }, { ...after, recovery });
    expect(done.step).toBe('done');
    expect(loginResult(done)).toEqual({ accountId: 'a', amr: ['pwd', 'otp', 'mfa'], acr: TWO_FA });
  });
});

describe('reset proofs never sign in', () => {
  const resetProof: Proof = { ...backupEmailCode, purpose: 'reset_2fa' };

  test('signInProofs drops them and keeps the rest', () => {
    expect(signInProofs({ proofs: [pwd, resetProof, totp] })).toEqual([pwd, totp]);
    expect(signInProofs({ proofs: [resetProof] })).toEqual([]);
    expect(signInProofs({ proofs: [pwd, { ...totp, purpose: 'sign_in' }] })).toEqual([pwd, { ...totp, purpose: 'sign_in' }]);
  });

  test('loginResult never counts them: password + a reset_2fa email proof is one factor', () => {
    const state: FlowState = { ...startSignIn('u', undefined), accountId: 'a', step: 'done', proofs: [pwd, resetProof] };
    expect(loginResult(state)).toEqual({ accountId: 'a', amr: ['pwd'], acr: ONE_FA });
    // Without the reset tag the same two proofs would be two factors: the tag is what stops it.
    expect(assurance([pwd, backupEmailCode]).acr).toBe(TWO_FA);
    // Even as sms/voice: never 2fa.
    const phone: FlowState = { ...state, proofs: [pwd, { ...backupSmsCode, purpose: 'reset_2fa' }] };
    expect(loginResult(phone).acr).toBe(ONE_FA);
  });

  test('a reset proof does not move an account with 2FA past its factor step', () => {
    // recovery_notice re-runs advance(): the reset proof in the state must not count.
    const notice: FlowState = { ...startSignIn('u', undefined), accountId: 'a', step: 'recovery_notice', proofs: [pwd, resetProof] };
    expect(transition(notice, { type: 'notice_seen' }, withBackup)).toMatchObject({ step: 'factor', factorId: 't1' });
  });
});

describe('support reset the 2FA (facts.enrolmentRequired)', () => {
  test('a factorless account sets a factor up even when no acr is asked for', () => {
    const facts: FlowFacts = { ...factorless, enrolmentRequired: true };
    expect(signedIn(factorless).step).toBe('done');
    const required = signedIn(facts);
    expect(required.step).toBe('enrol_required');
    const enrol = transition(required, { type: 'enrol_chosen', kind: 'totp' }, facts);
    const shown = transition(enrol, { type: 'enrol_finished', proof: totp }, { ...withTotp, recovery: { codes: 0, key: false } });
    expect(shown.step).toBe('show_recovery_codes');
    expect(loginResult(transition(shown, { type: 'recovery_codes_saved' }, { ...withTotp, recovery: { codes: 10, key: true } })).acr).toBe(TWO_FA);
  });

  test('nothing enrollable: unmet, never a password-only login', () => {
    expect(signedIn({ factors: [], enrollable: [], enrolmentRequired: true }).step).toBe('unmet');
  });
});

describe('recoveryUseful: saved codes are offered only when they would finish the sign-in', () => {
  const facts: FlowFacts = { ...withTotp, recovery: { codes: 3, key: true } };

  test('false after a password set through a link (it carries a channel: the inbox), true after a plain one', () => {
    expect(recoveryUseful('backup_code', { proofs: [pwd] }, facts)).toBe(true);
    expect(recoveryUseful('recovery_key', { proofs: [pwd] }, facts)).toBe(true);
    expect(recoveryUseful('backup_code', { proofs: [linkPwd] }, facts)).toBe(false);
    expect(recoveryUseful('recovery_key', { proofs: [linkPwd] }, facts)).toBe(false);
    // Nothing proven yet, or nothing left to use.
    expect(recoveryUseful('backup_code', { proofs: [] }, facts)).toBe(false);
    expect(recoveryUseful('backup_code', { proofs: [pwd] }, { ...facts, recovery: { codes: 0, key: true } })).toBe(false);
    expect(recoveryUseful('recovery_key', { proofs: [pwd] }, { ...facts, recovery: { codes: 3, key: false } })).toBe(false);
    // A reset proof is not a sign-in proof: it makes no code useful.
    expect(recoveryUseful('backup_code', { proofs: [{ ...backupSmsCode, purpose: 'reset_2fa' }] }, facts)).toBe(false);
  });

  test('after a link-set password the list refuses them, but still offers the backup method', () => {
    const choosing = transition(signedIn({ ...facts, backupMethod: true }, linkPwd), { type: 'choose_other' }, facts);
    expect(() => transition(choosing, { type: 'recovery_chosen', method: 'backup_code' }, facts)).toThrow(InvalidTransition);
    expect(() => transition(choosing, { type: 'recovery_chosen', method: 'recovery_key' }, facts)).toThrow(InvalidTransition);
    expect(transition(choosing, { type: 'backup_chosen' }, { ...facts, backupMethod: true }).step).toBe('backup_method');
  });
});

describe('the recovery key and a backup code used at sign-in', () => {
  const facts: FlowFacts = { ...withTotp, recovery: { codes: 10, key: true } };
  const choosing = () => transition(signedIn(facts), { type: 'choose_other' }, facts);

  test('the recovery key → show_recovery_codes (it is replaced), then done at 2fa', () => {
    const chosen = transition(choosing(), { type: 'recovery_chosen', method: 'recovery_key' }, facts);
    const shown = transition(chosen, { type: 'factor_verified', proof: { method: 'recovery_key', at: 3 } }, facts);
    expect(shown).toMatchObject({ step: 'show_recovery_codes', recoveryMethod: 'recovery_key' });
    expect(() => loginResult(shown)).toThrow();
    expect(loginResult(transition(shown, { type: 'recovery_codes_saved' }, facts))).toMatchObject({ acr: TWO_FA });
  });

  test('a backup code → recovery_notice', () => {
    const chosen = transition(choosing(), { type: 'recovery_chosen', method: 'backup_code' }, facts);
    const notice = transition(chosen, { type: 'factor_verified', proof: { method: 'backup_code', at: 3 } }, { ...facts, recovery: { codes: 9, key: true } });
    expect(notice).toMatchObject({ step: 'recovery_notice', recoveryMethod: 'backup_code' });
  });
});

describe('assurance of a link-set password (pwd with a channel) and of saved codes', () => {
  test('link-set password + an email code is one factor (one inbox); + an authenticator app is two', () => {
    expect(assurance([linkPwd, { method: 'email', channel: 'ada@example.com', factorId: 'e1', at }]).acr).toBe(ONE_FA);
    expect(assurance([linkPwd, backupEmailCode]).acr).toBe(ONE_FA);
    expect(assurance([linkPwd, totp]).acr).toBe(TWO_FA);
  });

  test('link-set password + a backup code is one factor; a plain password + a backup code is two', () => {
    expect(assurance([linkPwd, { method: 'backup_code', at }]).acr).toBe(ONE_FA);
    expect(assurance([linkPwd, { method: 'backup_code', at }]).amr).not.toContain('mfa');
    expect(assurance([pwd, { method: 'backup_code', at }]).acr).toBe(TWO_FA);
    expect(assurance([pwd, { method: 'backup_code', at }]).amr).toContain('mfa');
  });
});
