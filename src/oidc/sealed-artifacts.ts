import { createHash } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.js';
import type { OidcModelStore, OidcPayload } from '../store/ports.js';

/** What a backend holds for one artifact: lookup digests, the consumed mark, and the sealed payload. */
interface StoredArtifact extends OidcPayload {
  sealed: string;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/**
 * Provider artifacts at rest hold no usable secret ("a copy of the store holds no usable
 * token"): the artifact is stored under SHA-256 of its id (the token, code or session cookie
 * value), the grantId and uid lookups are SHA-256 digests too, and the user code (short
 * enough to brute-force a plain hash) a keyed digest. The payload itself, whose jti is the
 * id and which carries other bearer values (an interaction's session cookie and resume URL,
 * a session's logout secret), is sealed whole with the secret box, so no field has to be
 * singled out and nothing added by a future library version leaks.
 *
 * A sealed payload is accepted only for the id, uid or user code it was sealed with, so
 * that someone able to write to the store but without LATCHKEY_SECRET cannot move a
 * victim's session under their own cookie. A payload that does not open (another secret,
 * or written before sealing) reads as absent: the user signs in again.
 *
 * Returns the plaintext view node-oidc-provider expects, over a store that sees digests only.
 */
export function sealedArtifacts(store: OidcModelStore, model: string, box: SecretBox): OidcModelStore {
  const purpose = `oidc.${model}`;
  const userCodeDigest = (userCode: string) => box.digest(userCode, `${purpose}.userCode`);

  const seal = (payload: OidcPayload): StoredArtifact => {
    const stored: StoredArtifact = { sealed: box.seal(JSON.stringify(payload), purpose) };
    if (typeof payload.grantId === 'string') stored.grantId = sha256(payload.grantId);
    if (typeof payload.uid === 'string') stored.uid = sha256(payload.uid);
    if (typeof payload.userCode === 'string') stored.userCode = userCodeDigest(payload.userCode);
    if (typeof payload.consumed === 'number') stored.consumed = payload.consumed;
    return stored;
  };

  const open = (stored: OidcPayload | undefined, belongs: (payload: OidcPayload) => boolean): OidcPayload | undefined => {
    if (typeof stored?.sealed !== 'string') return undefined;
    let payload: OidcPayload;
    try {
      payload = JSON.parse(box.open(stored.sealed, purpose)) as OidcPayload;
    } catch {
      return undefined;
    }
    if (!belongs(payload)) return undefined;
    // The backend's atomic consume marks the stored record, not the sealed payload.
    return typeof stored.consumed === 'number' ? { ...payload, consumed: stored.consumed } : payload;
  };

  return {
    upsert: (id, payload, expiresIn) => store.upsert(sha256(id), seal(payload), expiresIn),
    async find(id) {
      return open(await store.find(sha256(id)), (p) => p.jti === undefined || p.jti === id);
    },
    async findByUid(uid) {
      return open(await store.findByUid(sha256(uid)), (p) => p.uid === uid);
    },
    async findByUserCode(userCode) {
      return open(await store.findByUserCode(userCodeDigest(userCode)), (p) => p.userCode === userCode);
    },
    consume: (id) => store.consume(sha256(id)),
    destroy: (id) => store.destroy(sha256(id)),
    revokeByGrantId: (grantId) => store.revokeByGrantId(sha256(grantId)),
  };
}
