import { createSecretBox } from '../../src/crypto/secret-box.js';

describe('secret box (AES-256-GCM under LATCHKEY_SECRET)', () => {
  const box = createSecretBox('a-master-secret-of-at-least-32-characters');

  test('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('{"kty":"EC"}', 'oidc.jwks');
    expect(sealed).not.toContain('kty');
    expect(box.open(sealed, 'oidc.jwks')).toBe('{"kty":"EC"}');
  });

  test('each seal uses a fresh IV', () => {
    expect(box.seal('same', 'p')).not.toBe(box.seal('same', 'p'));
  });

  test('refuses another purpose, another key and a tampered ciphertext', () => {
    const sealed = box.seal('secret', 'oidc.jwks');
    expect(() => box.open(sealed, 'oidc.cookie-keys')).toThrow();
    expect(() => createSecretBox('another-master-secret-of-32-characters!!').open(sealed, 'oidc.jwks')).toThrow();
    const parts = sealed.split('.');
    parts[2] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 'oidc.jwks')).toThrow();
  });
});
