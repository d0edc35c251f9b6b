import { assurance, meets, type Proof } from '../../src/factors/assurance.js';

const at = 0;
const pwd: Proof = { method: 'pwd', at };
const totp: Proof = { method: 'totp', factorId: 't1', at };

describe('assurance: amr and acr from proofs', () => {
  test('a password alone is one factor', () => {
    expect(assurance([pwd])).toEqual({ amr: ['pwd'], acr: 'urn:latchkey:acr:1fa' });
  });

  test('password and an authenticator app are two factors', () => {
    expect(assurance([pwd, totp])).toEqual({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:latchkey:acr:2fa' });
  });

  test('text and call codes say sms and tel', () => {
    expect(assurance([pwd, { method: 'sms', channel: '+442079460958', at }]).amr).toEqual(['pwd', 'sms', 'mfa']);
    expect(assurance([pwd, { method: 'voice', channel: '+442079460958', at }]).amr).toEqual(['pwd', 'tel', 'mfa']);
  });

  test('password and a security key (no user verification) is phishing-resistant', () => {
    expect(assurance([pwd, { method: 'webauthn', factorId: 'k', userVerified: false, at }])).toEqual({ amr: ['pwd', 'hwk', 'mfa'], acr: 'phr' });
  });

  test('a passkey with user verification alone is phishing-resistant multi-factor; a synced one is swk', () => {
    expect(assurance([{ method: 'webauthn', factorId: 'p', userVerified: true, backedUp: true, at }])).toEqual({ amr: ['swk', 'user', 'mfa'], acr: 'phr' });
  });

  test('a security key without user verification alone is one factor', () => {
    expect(assurance([{ method: 'webauthn', factorId: 'k', userVerified: false, at }]).acr).toBe('urn:latchkey:acr:1fa');
  });

  test('two inboxes, or an inbox and a backup code, are never two factors', () => {
    const inboxes = assurance([
      { method: 'email', channel: 'ada@example.com', at },
      { method: 'email', channel: 'backup@example.org', at },
    ]);
    expect(inboxes.acr).toBe('urn:latchkey:acr:1fa');
    expect(inboxes.amr).not.toContain('mfa');
    expect(assurance([{ method: 'email', channel: 'a@x', at }, { method: 'backup_code', at }]).acr).toBe('urn:latchkey:acr:1fa');
  });

  test('password and a backup code are two factors, not phishing-resistant', () => {
    expect(assurance([pwd, { method: 'backup_code', at }]).acr).toBe('urn:latchkey:acr:2fa');
  });

  test('the same class twice is one factor', () => {
    expect(assurance([totp, { method: 'webauthn', factorId: 'k', at }]).acr).not.toBe('urn:latchkey:acr:2fa');
  });

  test('no proof, no assurance', () => {
    expect(() => assurance([])).toThrow();
  });

  test('meets compares levels: phr ⊇ 2fa ⊇ 1fa; unknown values meet nothing', () => {
    expect(meets('phr', 'urn:latchkey:acr:2fa')).toBe(true);
    expect(meets('urn:latchkey:acr:2fa', 'phr')).toBe(false);
    expect(meets('urn:latchkey:acr:1fa', undefined)).toBe(true);
    expect(meets('something-else', 'urn:latchkey:acr:1fa')).toBe(false);
  });
});
