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

describe('secret box digest (keyed lookup of low-entropy secrets)', () => {
  const box = createSecretBox('a-master-secret-of-at-least-32-characters');

  test('is deterministic per key and purpose, and differs across keys and purposes', () => {
    const digest = box.digest('BCDF-GHJK', 'oidc.userCode');
    expect(digest).toBe(box.digest('BCDF-GHJK', 'oidc.userCode'));
    expect(digest).not.toContain('BCDF');
    expect(digest).not.toBe(box.digest('BCDF-GHJK', 'other'));
    expect(digest).not.toBe(box.digest('BCDF-GHJL', 'oidc.userCode'));
    expect(digest).not.toBe(createSecretBox('another-master-secret-of-32-characters!!').digest('BCDF-GHJK', 'oidc.userCode'));
  });
});
