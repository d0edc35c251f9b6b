import { generateKeyPairSync, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.js';
import type { SecretStore } from '../store/ports.js';

export interface ProviderKeys {
  /** Private signing keys, ES256 first so that it is the default. */
  jwks: { keys: JsonWebKey[] };
  cookieKeys: string[];
}

function signingKey(kind: 'ec' | 'rsa'): JsonWebKey {
  const { privateKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: kind === 'ec' ? 'ES256' : 'RS256' };
}

/**
 * The stored value, or a new one stored atomically (instances starting together agree on
 * one). The candidate is built only when nothing is stored: an RSA key pair costs tens to
 * hundreds of milliseconds of start-up.
 */
async function loadOrCreate<T>(
  store: SecretStore,
  box: SecretBox,
  name: string,
  create: () => T,
): Promise<T> {
  const sealed = (await store.find(name)) ?? (await store.getOrCreate(name, box.seal(JSON.stringify(create()), name)));
  return JSON.parse(box.open(sealed, name)) as T;
}

/**
 * Signing and cookie keys, generated on first start and kept in the store (sealed), so
 * that restarts and other instances sign and verify with the same keys.
 */
export async function loadProviderKeys(store: SecretStore, box: SecretBox): Promise<ProviderKeys> {
  const jwks = await loadOrCreate(store, box, 'oidc.jwks', () => ({ keys: [signingKey('ec'), signingKey('rsa')] }));
  const cookieKeys = await loadOrCreate(store, box, 'oidc.cookie-keys', () => [
    randomBytes(32).toString('base64url'),
    randomBytes(32).toString('base64url'),
  ]);
  return { jwks, cookieKeys };
}
