import { generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { ExternalSigningKey } from 'oidc-provider';
import { localSigningKeys } from '../../src/oidc/signing-keys.js';

type Kind = 'ec' | 'rsa' | 'ed25519';
const KEYS: Array<{ alg: string; kind: Kind; options: object; onCallingThread: boolean }> = [
  { alg: 'ES256', kind: 'ec', options: { namedCurve: 'P-256' }, onCallingThread: true },
  { alg: 'ES384', kind: 'ec', options: { namedCurve: 'P-384' }, onCallingThread: true },
  { alg: 'ES512', kind: 'ec', options: { namedCurve: 'P-521' }, onCallingThread: true },
  { alg: 'EdDSA', kind: 'ed25519', options: {}, onCallingThread: true },
  { alg: 'RS256', kind: 'rsa', options: { modulusLength: 2048 }, onCallingThread: false },
  { alg: 'PS256', kind: 'rsa', options: { modulusLength: 2048 }, onCallingThread: false },
  { alg: 'PS512', kind: 'rsa', options: { modulusLength: 2048 }, onCallingThread: false },
];

function privateJwk(kind: Kind, options: object, alg: string): JsonWebKey & { kid: string; alg: string } {
  const generate = generateKeyPairSync as (kind: Kind, options: object) => { privateKey: KeyObject };
  const { privateKey } = generate(kind, options);
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg };
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

describe('local signing keys (node-oidc-provider ExternalSigningKey over node:crypto)', () => {
  test.each(KEYS)('$alg: a JWS signed with it verifies under its public JWK with jose', async ({ alg, kind, options, onCallingThread }) => {
    const jwk = privateJwk(kind, options, alg);
    const [key] = localSigningKeys([jwk]);
    expect(key).toBeInstanceOf(ExternalSigningKey);
    const external = key as ExternalSigningKey;
    expect(external.kid).toBe(jwk.kid);
    expect(external.alg).toBe(alg);
    expect(external.use).toBe('sig');
    // What the provider publishes in its JWKS: the public members, never the private ones.
    for (const member of PUBLIC_MEMBERS) expect(external[member as keyof ExternalSigningKey]).toBe(jwk[member]);
    expect((external as unknown as Record<string, unknown>).d).toBeUndefined();

    const input = `${Buffer.from(JSON.stringify({ alg, kid: jwk.kid })).toString('base64url')}.${Buffer.from('{"sub":"someone"}').toString('base64url')}`;
    const signing = external.sign(Buffer.from(input));
    // Curves sign on the calling thread (no pool round trip); RSA on libuv's pool.
    expect(signing instanceof Promise).toBe(!onCallingThread);
    const signature = Buffer.from(await signing);
    const publicJwk = Object.fromEntries(PUBLIC_MEMBERS.filter((m) => jwk[m] !== undefined).map((m) => [m, jwk[m]]));
    const verified = await compactVerify(`${input}.${signature.toString('base64url')}`, await importJWK(publicJwk, alg));
    expect(new TextDecoder().decode(verified.payload)).toBe('{"sub":"someone"}');

    // The same signature over other bytes does not verify.
    const other = `${input.split('.')[0]}.${Buffer.from('{"sub":"someone-else"}').toString('base64url')}`;
    await expect(compactVerify(`${other}.${signature.toString('base64url')}`, await importJWK(publicJwk, alg))).rejects.toThrow();
  });

  test('the public key it verifies its own tokens with (id_token_hint) is the JWK’s', () => {
    const jwk = privateJwk('ec', { namedCurve: 'P-256' }, 'ES256');
    const [key] = localSigningKeys([jwk]) as ExternalSigningKey[];
    const publicKey = key!.keyObject() as KeyObject;
    expect(publicKey.type).toBe('public');
    expect(publicKey.export({ format: 'jwk' })).toEqual({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
  });

  test('keys it cannot sign with are left to node-oidc-provider as JWKs', () => {
    const ec = privateJwk('ec', { namedCurve: 'P-256' }, 'ES256');
    const unknownAlg = { ...ec, alg: 'ES256K' };
    const noKid = { ...ec, kid: undefined };
    const noAlg = { ...ec, alg: undefined };
    const publicOnly = { kty: ec.kty, crv: ec.crv, x: ec.x, y: ec.y, kid: ec.kid, alg: 'ES256' };
    const kept = localSigningKeys([unknownAlg, noKid, noAlg, publicOnly]);
    expect(kept).toEqual([unknownAlg, noKid, noAlg, publicOnly]);
    expect(kept.some((k) => k instanceof ExternalSigningKey)).toBe(false);
  });
});
