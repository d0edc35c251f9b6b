import type { SecretBox } from '../crypto/secret-box.js';
import type { ClientMetadata } from '../store/ports.js';

/** Bound to the client, so a sealed secret copied onto another client's record does not open. */
const purpose = (clientId: string) => `client_secret:${clientId}`;

/**
 * Client secrets are sealed at rest ("secrets at rest are encrypted"): node-oidc-provider
 * compares the plaintext, so the store holds it sealed with the secret box and the client
 * adapter opens it per lookup.
 */
export function sealClientSecret(metadata: ClientMetadata, box: SecretBox): ClientMetadata {
  if (typeof metadata.client_secret !== 'string') return metadata;
  return { ...metadata, client_secret: box.seal(metadata.client_secret, purpose(metadata.client_id)) };
}

/**
 * The metadata with its secret opened, or null when the secret does not open (another
 * LATCHKEY_SECRET, a tampered or pre-sealing record): such a client is treated as unknown
 * (fails closed, invalid_client) until `latchkey clients rotate-secret` gives it a new secret.
 */
export function openClientSecret(metadata: ClientMetadata, box: SecretBox): ClientMetadata | null {
  if (typeof metadata.client_secret !== 'string') return metadata;
  try {
    return { ...metadata, client_secret: box.open(metadata.client_secret, purpose(metadata.client_id)) };
  } catch {
    return null;
  }
}
