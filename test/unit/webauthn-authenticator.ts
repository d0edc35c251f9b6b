/**
 * A software WebAuthn authenticator for tests: an ES256 key pair from node:crypto and the
 * byte layouts of WebAuthn §6.1 (authenticator data) and §6.5 (attestation object, format
 * 'none'), built by hand, so that the tests do not trust the library they test to encode
 * what it then decodes.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

const FLAG = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 } as const;

// --- Minimal CBOR (RFC 8949): unsigned/negative integers, byte and text strings, maps. ---
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(length, 1);
  return b;
}

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64u = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

export interface CeremonyOptions {
  /** Where the page was (clientDataJSON.origin). */
  origin: string;
  /** Which RP the authenticator thinks it signs for (rpIdHash). */
  rpId: string;
  challenge: string;
  userVerified?: boolean;
  /** Backup eligible and backed up: a synced passkey. */
  backedUp?: boolean;
  type?: string;
}

export interface SoftAuthenticatorOptions {
  /** Sign count behaviour: counting (hardware keys) or always 0 (synced passkeys). */
  counting?: boolean;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly coseKey: Buffer;
  /** The next sign count to report (counting authenticators only). */
  signCount = 0;
  /** The user handle the RP gave at registration (base64url), returned in assertions. */
  userHandle: string | undefined;
  /** False: reports sign count 0, as synced passkeys do. */
  counting: boolean;

  constructor(options: SoftAuthenticatorOptions = {}) {
    this.counting = options.counting ?? true;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    // COSE_Key (RFC 9053): kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
    this.coseKey = cbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  private flags(o: CeremonyOptions, extra = 0): number {
    return FLAG.up | (o.userVerified ? FLAG.uv : 0) | (o.backedUp ? FLAG.be | FLAG.bs : 0) | extra;
  }

  private counter(): Buffer {
    const b = Buffer.alloc(4);
    if (this.counting) b.writeUInt32BE(++this.signCount);
    return b;
  }

  private clientData(o: CeremonyOptions, type: string): Buffer {
    return Buffer.from(JSON.stringify({ type: o.type ?? type, challenge: o.challenge, origin: o.origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() with attestation 'none', as @simplewebauthn/browser posts it. */
  register(o: CeremonyOptions & { userHandle?: string }) {
    this.userHandle = o.userHandle;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([sha256(o.rpId), Buffer.from([this.flags(o, FLAG.at)]), this.counter(), Buffer.alloc(16), idLength, this.credentialId, this.coseKey]);
    const attestationObject = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64u(this.clientData(o, 'webauthn.create')), attestationObject: b64u(attestationObject), transports: ['usb', 'made-up'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }

  /** navigator.credentials.get(): authenticator data, and an ES256 (DER) signature over it and the client data hash. */
  assert(o: CeremonyOptions) {
    const authData = Buffer.concat([sha256(o.rpId), Buffer.from([this.flags(o)]), this.counter()]);
    const clientDataJSON = this.clientData(o, 'webauthn.get');
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature), userHandle: this.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }
}
