import { createHash } from 'node:crypto';
import type { Clock } from '../../src/clock.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { AppError } from '../../src/errors.js';
import { assurance } from '../../src/factors/assurance.js';
import { createFactorLimits, FACTOR_ATTEMPT_LIMIT } from '../../src/factors/attempts.js';
import type { FactorEnv } from '../../src/factors/factor.js';
import { CHALLENGE_TTL_MS, labelFrom, webauthnFactor, type WebAuthnFactor, type WebAuthnPending } from '../../src/factors/webauthn/factor.js';
import { ACR } from '../../src/oidc/acr.js';
import type { Account, Factor, Stores } from '../../src/store/ports.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { SoftAuthenticator, type CeremonyOptions } from './webauthn-authenticator.js';

const ISSUER = 'https://login.example.com';
const ORIGIN = ISSUER;
const RP_ID = 'login.example.com';

interface RegistrationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials: { id: string }[];
  authenticatorSelection: { residentKey: string; userVerification: string };
  attestation: string;
}
interface AuthenticationOptions {
  challenge: string;
  rpId: string;
  allowCredentials?: { id: string; transports?: string[] }[];
  userVerification: string;
}

/** Time that moves only when a test says so, so proofs and pending states can be compared exactly. */
class FixedClock implements Clock {
  private t = Date.UTC(2030, 0, 1);
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

describe('WebAuthn factor (software authenticator)', () => {
  let stores: Stores & { close(): Promise<void> };
  let clock: FixedClock;
  let webauthn: WebAuthnFactor;
  let ada: Account;
  let bob: Account;
  const env = (account: Account): FactorEnv => ({ account, ip: '192.0.2.1', now: clock.now() });

  beforeEach(async () => {
    stores = createSqliteStores(':memory:');
    clock = new FixedClock();
    webauthn = webauthnFactor({
      factors: stores.factors,
      oneTime: stores.oneTime,
      limits: createFactorLimits({ counters: stores.counters, clock }),
      box: createSecretBox('unit-test-secret-unit-test-secret-0123'),
      issuer: ISSUER,
      rpName: 'Latchkey',
      clock,
    });
    ada = await stores.accounts.create({ email: 'ada@example.com', emailVerified: true, name: 'Ada Lovelace', passwordHash: 'x' });
    bob = await stores.accounts.create({ email: 'bob@example.com', emailVerified: true, name: null, passwordHash: 'x' });
  });

  afterEach(() => stores.close());

  /** The ceremony as the browser would run it on our page, with overrides for the attacks. */
  const on = (challenge: string, over: Partial<CeremonyOptions> = {}): CeremonyOptions => ({ origin: ORIGIN, rpId: RP_ID, challenge, userVerified: true, ...over });

  async function enrol(account: Account, authenticator: SoftAuthenticator, over: Partial<CeremonyOptions> = {}, label?: string) {
    const pending = await webauthn.beginEnrolment(env(account), {});
    const view = await webauthn.enrolmentView(env(account), pending);
    const options = JSON.parse(String(view.optionsJson)) as RegistrationOptions;
    const credential = authenticator.register({ ...on(options.challenge, over), userHandle: options.user.id });
    return webauthn.finishEnrolment(env(account), pending, { credential: JSON.stringify(credential), ...(label === undefined ? {} : { label }) });
  }

  async function challengeFor(account: Account, factor: Factor) {
    const { view, pending } = await webauthn.challenge(env(account), factor);
    return { options: JSON.parse(String(view.optionsJson)) as AuthenticationOptions, pending };
  }

  const rejection = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    return { code: (error as AppError).code, status: (error as AppError).status };
  };
  const refused = { code: 'webauthn_failed', status: 400 };

  describe('enrolment', () => {
    test('registration options: RP from the issuer, opaque stable user id, attestation none, preferred UV and resident key', async () => {
      const first = await webauthn.beginEnrolment(env(ada), {});
      const again = await webauthn.beginEnrolment(env(ada), {});
      const options = JSON.parse(String((await webauthn.enrolmentView(env(ada), first)).optionsJson)) as RegistrationOptions;
      const options2 = JSON.parse(String((await webauthn.enrolmentView(env(ada), again)).optionsJson)) as RegistrationOptions;
      const bobs = JSON.parse(String((await webauthn.enrolmentView(env(bob), await webauthn.beginEnrolment(env(bob), {}))).optionsJson)) as RegistrationOptions;

      expect(options.rp).toEqual({ id: RP_ID, name: 'Latchkey' });
      expect(options.user.name).toBe('ada@example.com');
      expect(options.user.displayName).toBe('Ada Lovelace');
      expect(bobs.user.displayName).toBe('bob@example.com');
      // Stable per account, different between accounts, and neither the email nor the account id.
      expect(options2.user.id).toBe(options.user.id);
      expect(bobs.user.id).not.toBe(options.user.id);
      const decoded = Buffer.from(options.user.id, 'base64url').toString('latin1');
      expect(decoded).not.toContain('ada@example.com');
      expect(decoded).not.toContain(ada.id);
      expect(Buffer.from(options.user.id, 'base64url')).toHaveLength(32);
      expect(options.attestation).toBe('none');
      expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });
      expect(options.challenge).toBe(first.challenge);
      expect(options2.challenge).not.toBe(options.challenge);
      expect(options.excludeCredentials).toEqual([]);
    });

    test('a verified registration stores the credential (public key, transports, flags, sign count) and proves it', async () => {
      const key = new SoftAuthenticator();
      const { factor, proof } = await enrol(ada, key, { backedUp: false }, '  Blue\u0007 key\n on my   keyring ');
      expect(factor).toMatchObject({ accountId: ada.id, kind: 'webauthn', label: 'Blue key on my keyring', counter: 1 });
      expect(factor.data).toMatchObject({ credentialId: key.id, transports: ['usb'], backedUp: false, deviceType: 'singleDevice', userVerified: true });
      expect(typeof factor.data.publicKey).toBe('string');
      expect(await stores.factors.findByCredentialId(key.id)).toMatchObject({ id: factor.id, accountId: ada.id });
      expect(proof).toEqual({ method: 'webauthn', factorId: factor.id, userVerified: true, backedUp: false, at: clock.now() });
      expect(webauthn.describe(factor)).toBe('Blue key on my keyring');
    });

    test('the label defaults to "Security key" and is cut to 64 characters', async () => {
      const { factor } = await enrol(ada, new SoftAuthenticator());
      expect(factor.label).toBe('Security key');
      expect(labelFrom({ label: 'x'.repeat(100) })).toHaveLength(64);
      expect(labelFrom({ label: ' \t ' })).toBe('Security key');
    });

    test('the next registration excludes the credentials the account has', async () => {
      const key = new SoftAuthenticator();
      await enrol(ada, key);
      const options = JSON.parse(String((await webauthn.enrolmentView(env(ada), await webauthn.beginEnrolment(env(ada), {}))).optionsJson)) as RegistrationOptions;
      expect(options.excludeCredentials.map((c) => c.id)).toEqual([key.id]);
    });

    test.each([
      ['another origin', { origin: 'https://login.example.com.evil.test' }],
      ['another RP ID', { rpId: 'evil.test' }],
      ['another challenge', { challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
      ['an assertion instead of a creation', { type: 'webauthn.get' }],
    ])('a registration made for %s is refused and nothing is stored', async (_, over) => {
      expect(await rejection(enrol(ada, new SoftAuthenticator(), over))).toEqual(refused);
      expect(await stores.factors.listForAccount(ada.id)).toEqual([]);
    });

    test('malformed credential JSON is refused, not a crash, and counts as a wrong attempt', async () => {
      const pending = await webauthn.beginEnrolment(env(ada), {});
      const inputs: Record<string, string>[] = [{}, { credential: 'not json' }, { credential: '{}' }, { credential: '{"id":"x","rawId":"x","type":"public-key","response":null}' }, { credential: JSON.stringify({ id: 'a b' }) }];
      expect(inputs).toHaveLength(FACTOR_ATTEMPT_LIMIT.free);
      for (const input of inputs) expect(await rejection(webauthn.finishEnrolment(env(ada), pending, input))).toEqual(refused);
      const good = JSON.stringify(new SoftAuthenticator().register(on(String(pending.challenge))));
      expect(await rejection(webauthn.finishEnrolment(env(ada), pending, { credential: good }))).toEqual({ code: 'code_throttled', status: 429 });
    });

    test('a registration response is used once', async () => {
      const key = new SoftAuthenticator();
      const pending = await webauthn.beginEnrolment(env(ada), {});
      const credential = JSON.stringify(key.register(on(String(pending.challenge))));
      await webauthn.finishEnrolment(env(ada), pending, { credential });
      expect(await rejection(webauthn.finishEnrolment(env(ada), pending, { credential }))).toEqual(refused);
      expect(await stores.factors.listForAccount(ada.id)).toHaveLength(1);
    });

    test('a credential registered to another account is refused with its own message', async () => {
      const key = new SoftAuthenticator();
      await enrol(ada, key);
      expect(await rejection(enrol(bob, key))).toEqual({ code: 'webauthn_registered', status: 409 });
      expect(await stores.factors.listForAccount(bob.id)).toEqual([]);
    });
  });

  describe('second factor', () => {
    let key: SoftAuthenticator;
    let factor: Factor;
    beforeEach(async () => {
      key = new SoftAuthenticator();
      ({ factor } = await enrol(ada, key));
      factor = (await stores.factors.find(ada.id, factor.id))!;
    });
    const current = async () => (await stores.factors.find(ada.id, factor.id))!;

    test('challenge options name only this credential, for this RP, UV preferred', async () => {
      const { options, pending } = await challengeFor(ada, factor);
      expect(options.rpId).toBe(RP_ID);
      expect(options.allowCredentials).toEqual([{ id: key.id, type: 'public-key', transports: ['usb'] }]);
      expect(options.userVerification).toBe('preferred');
      expect(options.challenge).toBe((pending as WebAuthnPending).challenge);
      // A reload shows the same ceremony; without a pending challenge there is none to show.
      expect(await webauthn.challengeView(env(ada), factor, pending)).toEqual({ optionsJson: JSON.stringify(options) });
      expect(await webauthn.challengeView(env(ada), factor, undefined)).toEqual({});
    });

    test('a verified assertion with user verification proves a phishing-resistant sign-in and advances the sign count', async () => {
      const { options, pending } = await challengeFor(ada, factor);
      clock.advance(1000);
      const proof = await webauthn.verify(env(ada), factor, { credential: JSON.stringify(key.assert(on(options.challenge))) }, pending);
      expect(proof).toEqual({ method: 'webauthn', factorId: factor.id, userVerified: true, backedUp: false, at: clock.now() });
      expect(assurance([proof])).toEqual({ amr: ['hwk', 'user', 'mfa'], acr: ACR.phishingResistant });
      expect(await current()).toMatchObject({ counter: 2, lastUsedAt: clock.now() });
    });

    test('without user verification it is a security key: userVerified false', async () => {
      const { options, pending } = await challengeFor(ada, factor);
      const proof = await webauthn.verify(env(ada), factor, { credential: JSON.stringify(key.assert(on(options.challenge, { userVerified: false }))) }, pending);
      expect(proof.userVerified).toBe(false);
      expect(assurance([{ method: 'pwd', at: 0 }, proof]).acr).toBe(ACR.phishingResistant);
      expect(assurance([proof]).acr).toBe(ACR.singleFactor);
    });

    test('a tampered signature, client data or authenticator data is refused and changes nothing', async () => {
      const { options, pending } = await challengeFor(ada, factor);
      const good = key.assert(on(options.challenge));
      const flip = (b64: string, at: number) => {
        const bytes = Buffer.from(b64, 'base64url');
        bytes[at]! ^= 0x01;
        return bytes.toString('base64url');
      };
      const tampered = [
        { ...good, response: { ...good.response, signature: flip(good.response.signature, 20) } },
        { ...good, response: { ...good.response, authenticatorData: flip(good.response.authenticatorData, 36) } },
        // A higher sign count or added flags must be signed too.
        { ...good, response: { ...good.response, clientDataJSON: Buffer.from(Buffer.from(good.response.clientDataJSON, 'base64url').toString().replace('"crossOrigin":false', '"crossOrigin":false ')).toString('base64url') } },
      ];
      for (const credential of tampered) {
        expect(await rejection(webauthn.verify(env(ada), factor, { credential: JSON.stringify(credential) }, pending))).toEqual(refused);
      }
      expect(await current()).toMatchObject({ counter: 1, lastUsedAt: null });
      // The untampered assertion still works afterwards: a forgery does not burn the challenge.
      await expect(webauthn.verify(env(ada), factor, { credential: JSON.stringify(good) }, pending)).resolves.toMatchObject({ factorId: factor.id });
    });

    test.each([
      ['another origin (a phishing proxy)', { origin: 'https://login-example.evil.test' }],
      ['the right host on another port', { origin: 'https://login.example.com:8443' }],
      ['plain http', { origin: 'http://login.example.com' }],
      ['another RP ID', { rpId: 'example.com' }],
      ['another challenge', { challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
      ['a creation instead of an assertion', { type: 'webauthn.create' }],
    ])('an assertion made for %s is refused', async (_, over) => {
      const { options, pending } = await challengeFor(ada, factor);
      const credential = JSON.stringify(key.assert(on(options.challenge, over)));
      expect(await rejection(webauthn.verify(env(ada), factor, { credential }, pending))).toEqual(refused);
      expect((await current()).counter).toBe(1);
    });

    test('a challenge answers once, even from an authenticator that does not count (synced passkey)', async () => {
      const synced = new SoftAuthenticator({ counting: false });
      const { factor: passkey } = await enrol(ada, synced, { backedUp: true });
      expect(passkey.counter).toBe(0);
      const { options, pending } = await challengeFor(ada, passkey);
      const credential = JSON.stringify(synced.assert(on(options.challenge, { backedUp: true })));
      const proof = await webauthn.verify(env(ada), passkey, { credential }, pending);
      expect(proof).toMatchObject({ backedUp: true, userVerified: true });
      expect(assurance([proof]).amr).toEqual(['swk', 'user', 'mfa']);
      // Replayed: the same assertion, or a new one for the same challenge.
      expect(await rejection(webauthn.verify(env(ada), passkey, { credential }, pending))).toEqual(refused);
      const again = JSON.stringify(synced.assert(on(options.challenge, { backedUp: true })));
      expect(await rejection(webauthn.verify(env(ada), passkey, { credential: again }, pending))).toEqual(refused);
      // A fresh challenge works: 0 stays acceptable for a credential that never counted.
      const next = await challengeFor(ada, passkey);
      await expect(webauthn.verify(env(ada), passkey, { credential: JSON.stringify(synced.assert(on(next.options.challenge))) }, next.pending)).resolves.toMatchObject({
        factorId: passkey.id,
      });
    });

    test('three submissions of one assertion at once, from a key that does not count: exactly one is accepted', async () => {
      const synced = new SoftAuthenticator({ counting: false });
      const { factor: passkey } = await enrol(ada, synced, { backedUp: true });
      const { options, pending } = await challengeFor(ada, passkey);
      const credential = JSON.stringify(synced.assert(on(options.challenge, { backedUp: true })));
      const results = await Promise.allSettled([1, 2, 3].map(() => webauthn.verify(env(ada), passkey, { credential }, pending)));
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected', 'rejected']);
    });

    test('a sign count that does not go up (a cloned key) is refused, on a fresh challenge too', async () => {
      const first = await challengeFor(ada, factor);
      await webauthn.verify(env(ada), factor, { credential: JSON.stringify(key.assert(on(first.options.challenge))) }, first.pending);
      expect((await current()).counter).toBe(2);
      const stale = await current();

      // The clone reports the same count on a new challenge.
      key.signCount = 1;
      const second = await challengeFor(ada, stale);
      const clone = JSON.stringify(key.assert(on(second.options.challenge)));
      expect(await rejection(webauthn.verify(env(ada), stale, { credential: clone }, second.pending))).toEqual(refused);

      // A count that once counted may not drop to 0 either (0 means "does not count" only for a credential that never did).
      key.counting = false;
      const third = await challengeFor(ada, stale);
      const zero = JSON.stringify(key.assert(on(third.options.challenge)));
      expect(await rejection(webauthn.verify(env(ada), stale, { credential: zero }, third.pending))).toEqual(refused);
      expect((await current()).counter).toBe(2);
    });

    test('the sign count is advanced atomically: the slower of two racing assertions with one count loses', async () => {
      // The caller holds the factor as loaded before both answers: the store's conditional write decides.
      const loaded = await current();
      const a = await challengeFor(ada, loaded);
      const b = await challengeFor(ada, loaded);
      const countBefore = key.signCount;
      const assertionA = key.assert(on(a.options.challenge));
      key.signCount = countBefore;
      const assertionB = key.assert(on(b.options.challenge));
      await webauthn.verify(env(ada), loaded, { credential: JSON.stringify(assertionA) }, a.pending);
      expect(await rejection(webauthn.verify(env(ada), loaded, { credential: JSON.stringify(assertionB) }, b.pending))).toEqual(refused);
    });

    test("another account's credential never answers this factor", async () => {
      const bobsKey = new SoftAuthenticator();
      await enrol(bob, bobsKey);
      const { options, pending } = await challengeFor(ada, factor);
      const credential = JSON.stringify(bobsKey.assert(on(options.challenge)));
      expect(await rejection(webauthn.verify(env(ada), factor, { credential }, pending))).toEqual(refused);
      // Even relabelled with this factor's credential id, the signature is not this key's.
      const relabelled = { ...JSON.parse(credential), id: key.id, rawId: key.id };
      expect(await rejection(webauthn.verify(env(ada), factor, { credential: JSON.stringify(relabelled) }, pending))).toEqual(refused);
    });

    test('a challenge older than the sign-in is refused', async () => {
      const { options, pending } = await challengeFor(ada, factor);
      clock.advance(CHALLENGE_TTL_MS);
      const credential = JSON.stringify(key.assert(on(options.challenge)));
      expect(await rejection(webauthn.verify(env(ada), factor, { credential }, pending))).toEqual(refused);
    });

    test('no pending challenge, no sign-in', async () => {
      const { options } = await challengeFor(ada, factor);
      const credential = JSON.stringify(key.assert(on(options.challenge)));
      expect(await rejection(webauthn.verify(env(ada), factor, { credential }, undefined))).toEqual(refused);
      expect(await rejection(webauthn.verify(env(ada), factor, { credential }, { challenge: options.challenge }))).toEqual(refused);
    });

    test('wrong answers are limited per account and factor, like codes', async () => {
      const { options, pending } = await challengeFor(ada, factor);
      const wrong = JSON.stringify(key.assert(on(options.challenge, { origin: 'https://evil.test' })));
      for (let i = 0; i < FACTOR_ATTEMPT_LIMIT.free; i++) {
        expect(await rejection(webauthn.verify(env(ada), factor, { credential: wrong }, pending))).toEqual(refused);
      }
      const right = JSON.stringify(key.assert(on(options.challenge)));
      expect(await rejection(webauthn.verify(env(ada), factor, { credential: right }, pending))).toEqual({ code: 'code_throttled', status: 429 });
      clock.advance(FACTOR_ATTEMPT_LIMIT.waitsMs[0]!);
      await expect(webauthn.verify(env(ada), factor, { credential: right }, pending)).resolves.toMatchObject({ factorId: factor.id });
    });
  });

  describe('passwordless sign-in with a passkey', () => {
    test('options: discoverable (no allowCredentials), user verification required', async () => {
      const { view, pending } = await webauthn.passkeyOptions();
      const options = JSON.parse(view.optionsJson) as AuthenticationOptions;
      expect(options.allowCredentials ?? []).toEqual([]);
      expect(options.userVerification).toBe('required');
      expect(options.rpId).toBe(RP_ID);
      expect(pending).toEqual({ challenge: options.challenge, issuedAt: clock.now() });
      expect(await webauthn.passkeyView(pending)).toEqual(view);
    });

    test('finds the account by the credential, and proves a phishing-resistant sign-in', async () => {
      const adasKey = new SoftAuthenticator({ counting: false });
      const bobsKey = new SoftAuthenticator();
      const { factor } = await enrol(ada, adasKey, { backedUp: true });
      await enrol(bob, bobsKey);
      const { view, pending } = await webauthn.passkeyOptions();
      const { challenge } = JSON.parse(view.optionsJson) as AuthenticationOptions;
      const result = await webauthn.verifyPasskey(JSON.stringify(adasKey.assert(on(challenge, { backedUp: true }))), pending);
      expect(result).toEqual({ accountId: ada.id, proof: { method: 'webauthn', factorId: factor.id, userVerified: true, backedUp: true, at: clock.now() } });
      expect(assurance([result.proof]).acr).toBe(ACR.phishingResistant);
      // Once only.
      expect(await rejection(webauthn.verifyPasskey(JSON.stringify(adasKey.assert(on(challenge, { backedUp: true }))), pending))).toEqual(refused);
      const next = await webauthn.passkeyOptions();
      const bobs = await webauthn.verifyPasskey(JSON.stringify(bobsKey.assert(on(JSON.parse(next.view.optionsJson).challenge))), next.pending);
      expect(bobs.accountId).toBe(bob.id);
    });

    test('without user verification a security key alone does not sign anyone in', async () => {
      const key = new SoftAuthenticator();
      await enrol(ada, key);
      const { view, pending } = await webauthn.passkeyOptions();
      const credential = JSON.stringify(key.assert(on(JSON.parse(view.optionsJson).challenge, { userVerified: false })));
      expect(await rejection(webauthn.verifyPasskey(credential, pending))).toEqual(refused);
    });

    test('an unknown credential, a wrong user handle, another origin or a forged signature is refused', async () => {
      const key = new SoftAuthenticator();
      await enrol(ada, key);
      const { view, pending } = await webauthn.passkeyOptions();
      const challenge = (JSON.parse(view.optionsJson) as AuthenticationOptions).challenge;
      const stranger = new SoftAuthenticator();
      stranger.userHandle = key.userHandle;
      expect(await rejection(webauthn.verifyPasskey(JSON.stringify(stranger.assert(on(challenge))), pending))).toEqual(refused);

      const wrongHandle = key.assert(on(challenge));
      wrongHandle.response.userHandle = createHash('sha256').update(bob.id).digest('base64url');
      expect(await rejection(webauthn.verifyPasskey(JSON.stringify(wrongHandle), pending))).toEqual(refused);
      const noHandle = key.assert(on(challenge));
      delete noHandle.response.userHandle;
      expect(await rejection(webauthn.verifyPasskey(JSON.stringify(noHandle), pending))).toEqual(refused);

      expect(await rejection(webauthn.verifyPasskey(JSON.stringify(key.assert(on(challenge, { origin: 'https://evil.test' }))), pending))).toEqual(refused);
      // The stranger's key signs, relabelled as Ada's credential.
      const forged = { ...stranger.assert(on(challenge)), id: key.id, rawId: key.id };
      expect(await rejection(webauthn.verifyPasskey(JSON.stringify(forged), pending))).toEqual(refused);
      expect(await rejection(webauthn.verifyPasskey('garbage', pending))).toEqual(refused);
      expect(await rejection(webauthn.verifyPasskey(JSON.stringify(key.assert(on(challenge))), undefined))).toEqual(refused);
      // After all that, the real passkey still signs in.
      await expect(webauthn.verifyPasskey(JSON.stringify(key.assert(on(challenge))), pending)).resolves.toMatchObject({ accountId: ada.id });
    });
  });

  test('RP ID and origin come from the issuer, port included in the origin only', async () => {
    const local = webauthnFactor({
      factors: stores.factors,
      oneTime: stores.oneTime,
      limits: createFactorLimits({ counters: stores.counters, clock }),
      box: createSecretBox('unit-test-secret-unit-test-secret-0123'),
      issuer: 'http://localhost:8080',
      rpName: 'Latchkey',
      clock,
    });
    const key = new SoftAuthenticator();
    const pending = await local.beginEnrolment(env(ada), {});
    const options = JSON.parse(String((await local.enrolmentView(env(ada), pending)).optionsJson)) as RegistrationOptions;
    expect(options.rp.id).toBe('localhost');
    const credential = JSON.stringify(key.register({ origin: 'http://localhost:8080', rpId: 'localhost', challenge: options.challenge }));
    await expect(local.finishEnrolment(env(ada), pending, { credential })).resolves.toMatchObject({ factor: { kind: 'webauthn' } });
  });
});
