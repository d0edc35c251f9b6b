import { constants, createPrivateKey, createPublicKey, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';

type Signer = (data: Uint8Array) => Promise<Uint8Array> | Uint8Array;
/** Makes a key's signer once, with its options fixed, so that a signature builds nothing else. */
type SignerFor = (key: KeyObject) => Signer;

const onThisThread =
  (hash: string | null, dsaEncoding?: 'ieee-p1363'): SignerFor =>
  (key) => {
    const options = dsaEncoding ? { key, dsaEncoding } : key;
    return (data) => sign(hash, data, options);
  };

const onThePool =
  (hash: string, padding?: number): SignerFor =>
  (key) => {
    // RFC 7518 §3.5: PS* salts with as many bytes as the hash gives.
    const options = padding === undefined ? key : { key, padding, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    return (data) => new Promise((resolve, reject) => sign(hash, data, options, (error, signature) => (error ? reject(error) : resolve(signature))));
  };

/**
 * How each JWS algorithm signs. Elliptic-curve signatures take tens of microseconds: they
 * are made on the calling thread, where node-oidc-provider's own path (WebCrypto through
 * jose) would hand each to libuv's pool and back, two thread switches and a wake-up on
 * every ID token, which cost more than the signature on a busy core. RSA signatures take a
 * millisecond or more, so they still go to the pool, where other cores can make them.
 */
const SIGNERS: Record<string, SignerFor> = {
  ES256: onThisThread('sha256', 'ieee-p1363'),
  ES384: onThisThread('sha384', 'ieee-p1363'),
  ES512: onThisThread('sha512', 'ieee-p1363'),
  EdDSA: onThisThread(null),
  Ed25519: onThisThread(null),
  RS256: onThePool('sha256'),
  RS384: onThePool('sha384'),
  RS512: onThePool('sha512'),
  PS256: onThePool('sha256', constants.RSA_PKCS1_PSS_PADDING),
  PS384: onThePool('sha384', constants.RSA_PKCS1_PSS_PADDING),
  PS512: onThePool('sha512', constants.RSA_PKCS1_PSS_PADDING),
};

/**
 * A private signing JWK that node-oidc-provider signs with through its ExternalSigningKey
 * hook (features.externalSigningSupport): the provider builds the JWS, this key makes its
 * signature with node:crypto. The public half (keyObject) is what the provider publishes
 * in the JWKS and verifies its own tokens with (id_token_hint).
 */
class LocalSigningKey extends ExternalSigningKey {
  readonly #publicKey: KeyObject;
  readonly #sign: Signer;

  constructor(jwk: JsonWebKey & { kid: string; alg: string }, signerFor: SignerFor) {
    super();
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    this.#publicKey = createPublicKey(privateKey);
    this.#sign = signerFor(privateKey);
    // The base class keeps kid and alg behind setters its type declarations leave out.
    Object.assign(this, { kid: jwk.kid, alg: jwk.alg });
  }

  override keyObject(): KeyObject {
    return this.#publicKey;
  }

  override sign(data: Uint8Array): Promise<Uint8Array> | Uint8Array {
    return this.#sign(data);
  }
}

/**
 * The provider's jwks with every private key whose algorithm is known here turned into a
 * LocalSigningKey (others are left as JWKs, for jose to sign with). Each key must carry its
 * kid and alg: an ExternalSigningKey is used for its one algorithm only.
 */
export function localSigningKeys(keys: readonly JsonWebKey[]): (JsonWebKey | ExternalSigningKey)[] {
  return keys.map((jwk) => {
    const { kid, alg } = jwk as { kid?: unknown; alg?: unknown };
    const signerFor = typeof alg === 'string' ? SIGNERS[alg] : undefined;
    if (!signerFor || typeof kid !== 'string' || jwk.d === undefined) return jwk;
    return new LocalSigningKey({ ...jwk, kid, alg: alg as string }, signerFor);
  });
}
