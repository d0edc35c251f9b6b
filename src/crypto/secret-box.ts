import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Authenticated encryption of secrets at rest (AES-256-GCM with a key derived from
 * LATCHKEY_SECRET), per the "secrets at rest are encrypted" invariant. The purpose is
 * bound as additional data, so a ciphertext cannot be replayed under another name.
 */
export interface SecretBox {
  seal(plaintext: string, purpose: string): string;
  open(sealed: string, purpose: string): string;
  /**
   * A deterministic keyed digest (HMAC-SHA-256, base64url), for looking up a low-entropy
   * secret (a device user code) without storing it or anything that can be brute-forced offline.
   */
  digest(value: string, purpose: string): string;
}

export function deriveKey(masterSecret: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterSecret, 'latchkey', info, 32));
}

export function createSecretBox(masterSecret: string): SecretBox {
  const key = deriveKey(masterSecret, 'secret-box');
  const digestKey = deriveKey(masterSecret, 'secret-box-digest');
  return {
    digest(value, purpose) {
      return createHmac('sha256', digestKey).update(purpose).update('\0').update(value).digest('base64url');
    },
    seal(plaintext, purpose) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(purpose));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, body, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(sealed, purpose) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== VERSION || !iv || !body || !tag) throw new Error('Unrecognised sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
