import { isIP } from 'node:net';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import { AppError } from '../../errors.js';
import { DuplicateError, type Factor, type FactorStore, type OneTimeStore } from '../../store/ports.js';
import type { Proof } from '../assurance.js';
import type { FactorLimits } from '../attempts.js';
import type { Challenge, FactorEnv, FactorModule, FactorView, FormInput } from '../factor.js';
import { relyingParty, type RelyingParty } from './relying-party.js';
import { knownTransports, parseAuthentication, parseRegistration } from './responses.js';

/**
 * How long a challenge can be answered: as long as the sign-in it belongs to (node-oidc-provider's
 * Interaction lives 30 minutes), so a page left open does not fail for a reason the user cannot see.
 * The single-use mark lives as long, so a used challenge stays refused until it is too old anyway.
 */
export const CHALLENGE_TTL_MS = 30 * 60_000;
/** How far apart the clocks of two instances may be. */
const CLOCK_SKEW_MS = 60_000;
/** How long the browser's own prompt waits for the user (WebAuthn `timeout`). */
const CEREMONY_TIMEOUT_MS = 5 * 60_000;
/** EdDSA, ES256, RS256: what authenticators produce, without the runtime-dependent post-quantum default. */
const ALGORITHMS = [-8, -7, -257];
const DEFAULT_LABEL = 'Security key';
const USER_HANDLE_PURPOSE = 'webauthn.user-handle';

/** What the flow keeps (sealed) between showing a WebAuthn step and the answer to it. */
export interface WebAuthnPending extends Record<string, unknown> {
  challenge: string;
  issuedAt: number;
}

/** The enrolment step also keeps the options it showed, so a reload shows the same ceremony. */
export interface WebAuthnEnrolmentPending extends WebAuthnPending {
  options: string;
}

/** What a page passes to the webauthn-* partials: the ceremony's options as JSON text. */
export interface WebAuthnView extends FactorView {
  optionsJson: string;
}

export interface WebAuthnDeps {
  factors: FactorStore;
  oneTime: OneTimeStore;
  limits: FactorLimits;
  /** Derives the opaque per-account user handle (a keyed digest of the account id). */
  box: SecretBox;
  /** config.issuer: RP ID and expected origin come from it, never from a request. */
  issuer: string;
  /** The name authenticators show when a credential is created. */
  rpName: string;
  /** Time for the passwordless calls, which have no FactorEnv. */
  clock: Clock;
}

/** The factor module plus passwordless sign-in with a passkey (no account known beforehand). */
export interface WebAuthnFactor extends FactorModule {
  readonly kind: 'webauthn';
  /** A discoverable-credential challenge for the sign-in page: no allowCredentials, user verification required. */
  passkeyOptions(): Promise<{ view: WebAuthnView; pending: WebAuthnPending }>;
  /** The login page's options again from its pending state (a reload, a wrong answer). */
  passkeyView(pending: WebAuthnPending): Promise<WebAuthnView>;
  /**
   * Finds the factor by the assertion's credential id and verifies it with user verification
   * required. The caller must still refuse a disabled account, as the password path does.
   */
  verifyPasskey(assertionJson: string | undefined, pending: Record<string, unknown> | undefined): Promise<{ accountId: string; proof: Proof }>;
}

const failed = () => new AppError('webauthn_failed', 400);

function pendingOf(pending: Record<string, unknown> | undefined): WebAuthnPending | null {
  if (!pending || typeof pending.challenge !== 'string' || typeof pending.issuedAt !== 'number') return null;
  return { challenge: pending.challenge, issuedAt: pending.issuedAt };
}

/** A name a person typed for the key: control characters dropped, spaces collapsed, 64 characters at most. */
export function labelFrom(input: FormInput): string {
  const label = (input.label ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '').replace(/\s+/g, ' ').trim();
  return [...label].slice(0, 64).join('') || DEFAULT_LABEL;
}

/**
 * Security key or biometrics (WebAuthn), on @simplewebauthn/server.
 *
 * Security rules enforced here:
 * - Phishing resistance: the RP ID and the expected origin come from config.issuer only, so an
 *   assertion made for any other site (or a request with a forged Host) never verifies.
 * - A challenge is answered at most once: after the signature verifies, `webauthn:challenge:<c>`
 *   is claimed in the OneTimeStore (set-if-absent, shared by every instance), which also
 *   covers synced passkeys whose sign count stays 0; a challenge older than CHALLENGE_TTL_MS
 *   is refused, so the mark never expires while the challenge is still acceptable.
 * - A cloned authenticator is refused: when it counts, the sign count must go up, checked
 *   against the stored one and recorded with one atomic conditional write (advanceCounter),
 *   so the slower of two racing assertions loses.
 * - An assertion answers only the factor it was asked for: its credential id must be this
 *   factor's (a credential of another account is never verified against this one).
 * - Wrong answers are limited per account and factor (FactorLimits), like codes.
 * - The user handle given to authenticators is a keyed digest of the account id: stable,
 *   and neither the email nor the internal id.
 */
export function webauthnFactor(deps: WebAuthnDeps): WebAuthnFactor {
  // ~18 MB once loaded: only when a ceremony first needs it, not at start (an instance that
  // only serves tokens never does).
  const simpleWebAuthn = () => import('@simplewebauthn/server');
  const { factors, oneTime, limits, box, rpName, clock } = deps;
  const rp: RelyingParty = relyingParty(deps.issuer);
  const userHandle = (accountId: string) => box.digest(accountId, USER_HANDLE_PURPOSE);

  const webauthnFactorsOf = async (accountId: string) => (await factors.listForAccount(accountId)).filter((f) => f.kind === 'webauthn');
  const descriptor = (factor: Factor) => ({
    id: String(factor.data.credentialId),
    transports: Array.isArray(factor.data.transports) ? knownTransports(factor.data.transports.map(String)) : undefined,
  });

  /**
   * What @simplewebauthn/server's generateAuthenticationOptions returns, built here: every
   * view of the sign-in page needs it (for "Sign in with a passkey"), and loading the library
   * for it alone would cost ~18 MB in an instance that never verifies a passkey.
   */
  const authenticationView = async (pending: WebAuthnPending, allow: Factor | null): Promise<WebAuthnView> => {
    const allowed = allow ? descriptor(allow) : undefined;
    const options = {
      rpId: rp.id,
      // Already base64url of the challenge's bytes, as the library would encode them.
      challenge: pending.challenge,
      allowCredentials: allowed ? [{ ...allowed, id: allowed.id.replace(/=+$/, ''), type: 'public-key' }] : undefined,
      timeout: CEREMONY_TIMEOUT_MS,
      // A second factor after the password: UV is welcome (it makes a passkey-level proof) but not needed.
      // Passwordless: the assertion is the only proof, so the authenticator must verify the user.
      userVerification: allow ? 'preferred' : 'required',
    };
    return { optionsJson: JSON.stringify(options) };
  };

  const newPending = (now: number): WebAuthnPending => ({ challenge: randomBytes(32).toString('base64url'), issuedAt: now });

  // issuedAt is sealed in the flow, so it is ours; it may be slightly ahead of this instance's clock (another instance made it).
  const fresh = (pending: WebAuthnPending, now: number) => now - pending.issuedAt < CHALLENGE_TTL_MS;
  // The mark outlives the challenge by a margin for that clock skew, so it cannot lapse while the challenge is still accepted.
  const claimChallenge = (challenge: string, now: number) => oneTime.claim(`webauthn:challenge:${challenge}`, CHALLENGE_TTL_MS + CLOCK_SKEW_MS, now);

  /**
   * Verifies one assertion for `factor`, then consumes the challenge and the sign count.
   * Null for every refusal (counted by the caller's attempt limit); store errors propagate, so
   * an unreachable backend fails closed with 503 instead of looking like a wrong key.
   */
  async function assertion(factor: Factor, response: AuthenticationResponseJSON, pending: WebAuthnPending, now: number, requireUserVerification: boolean): Promise<Proof | null> {
    if (response.id !== factor.data.credentialId || !fresh(pending, now)) return null;
    let info;
    try {
      const result = await (await simpleWebAuthn()).verifyAuthenticationResponse({
        response,
        expectedChallenge: pending.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: { id: String(factor.data.credentialId), publicKey: Buffer.from(String(factor.data.publicKey), 'base64url'), counter: factor.counter },
        requireUserVerification,
      });
      if (!result.verified) return null;
      info = result.authenticationInfo;
    } catch {
      // Malformed data, wrong origin, RP ID, challenge or counter: the library says which, the user only needs "try again".
      return null;
    }
    if (!(await claimChallenge(pending.challenge, now))) return null;
    // A counting authenticator must count up; 0 means it does not count (synced passkeys), and the claim above is the replay guard.
    if (info.newCounter > 0 && !(await factors.advanceCounter(factor.accountId, factor.id, info.newCounter, now))) return null;
    return { method: 'webauthn', factorId: factor.id, userVerified: info.userVerified, backedUp: info.credentialBackedUp, at: now };
  }

  return {
    kind: 'webauthn',
    title: 'Security key or biometrics',
    // Browsers refuse an IP address as RP ID: with such an ISSUER no ceremony could succeed.
    available: () => isIP(rp.id) === 0,
    describe: (factor) => factor.label ?? DEFAULT_LABEL,

    async beginEnrolment(env: FactorEnv): Promise<WebAuthnEnrolmentPending> {
      const existing = await webauthnFactorsOf(env.account.id);
      const options = await (await simpleWebAuthn()).generateRegistrationOptions({
        rpName,
        rpID: rp.id,
        userName: env.account.email,
        userDisplayName: env.account.name ?? env.account.email,
        userID: Buffer.from(userHandle(env.account.id), 'base64url'),
        timeout: CEREMONY_TIMEOUT_MS,
        attestationType: 'none',
        // The same authenticator twice would be one factor counted as two, and the store refuses it anyway.
        excludeCredentials: existing.map(descriptor),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        supportedAlgorithmIDs: ALGORITHMS,
      });
      return { challenge: options.challenge, issuedAt: env.now, options: JSON.stringify(options) };
    },
    async enrolmentView(_env, pending) {
      return { optionsJson: String(pending.options) } satisfies WebAuthnView;
    },
    async finishEnrolment(env, pendingState, input) {
      const pending = pendingOf(pendingState);
      const response = parseRegistration(input.credential);
      const registered = await limits.attempt(env.account.id, 'enrol:webauthn', async () => {
        if (!pending || !response || !fresh(pending, env.now)) return null;
        try {
          const result = await (await simpleWebAuthn()).verifyRegistrationResponse({
            response,
            expectedChallenge: pending.challenge,
            expectedOrigin: rp.origin,
            expectedRPID: rp.id,
            // 'preferred': a security key without a PIN is a good second factor; assurance.ts reads userVerified.
            requireUserVerification: false,
            supportedAlgorithmIDs: ALGORITHMS,
          });
          return result.verified && result.registrationInfo.credential.id === response.id ? result.registrationInfo : null;
        } catch {
          return null;
        }
      });
      if (!pending || !registered) throw failed();
      if (!(await claimChallenge(pending.challenge, env.now))) throw failed();
      const { credential } = registered;
      let factor: Factor;
      try {
        factor = await factors.create(
          {
            accountId: env.account.id,
            kind: 'webauthn',
            label: labelFrom(input),
            data: {
              credentialId: credential.id,
              publicKey: Buffer.from(credential.publicKey).toString('base64url'),
              transports: knownTransports(credential.transports),
              backedUp: registered.credentialBackedUp,
              deviceType: registered.credentialDeviceType,
              userVerified: registered.userVerified,
            },
            counter: credential.counter,
          },
          env.now,
        );
      } catch (error) {
        if (error instanceof DuplicateError) throw new AppError('webauthn_registered', 409);
        throw error;
      }
      const proof: Proof = { method: 'webauthn', factorId: factor.id, userVerified: registered.userVerified, backedUp: registered.credentialBackedUp, at: env.now };
      return { factor, proof };
    },

    async challenge(env, factor): Promise<Challenge> {
      const pending = newPending(env.now);
      return { view: await authenticationView(pending, factor), pending };
    },
    async challengeView(_env, factor, pendingState) {
      const pending = pendingOf(pendingState);
      // Without a challenge there is no ceremony to show: the caller starts one with challenge().
      return pending ? authenticationView(pending, factor) : {};
    },
    async verify(env, factor, input, pendingState) {
      const pending = pendingOf(pendingState);
      const response = parseAuthentication(input.credential);
      const proof = await limits.attempt(env.account.id, factor.id, async () =>
        pending && response ? assertion(factor, response, pending, env.now, false) : null,
      );
      if (!proof) throw failed();
      return proof;
    },

    async passkeyOptions() {
      const pending = newPending(clock.now());
      return { view: await authenticationView(pending, null), pending };
    },
    async passkeyView(pending) {
      return authenticationView(pending, null);
    },
    async verifyPasskey(assertionJson, pendingState) {
      const now = clock.now();
      const pending = pendingOf(pendingState);
      const response = parseAuthentication(assertionJson);
      // Nothing to count a wrong answer against before the credential names an account; the page rate limit covers those.
      if (!pending || !response) throw failed();
      const factor = await factors.findByCredentialId(response.id);
      if (!factor || factor.kind !== 'webauthn') throw failed();
      // WebAuthn §7.2: with no allowCredentials the authenticator must name the account it made the credential for, and it must be the factor's owner.
      if (response.response.userHandle !== userHandle(factor.accountId)) throw failed();
      const proof = await limits.attempt(factor.accountId, factor.id, () => assertion(factor, response, pending, now, true));
      if (!proof) throw failed();
      return { accountId: factor.accountId, proof };
    },
  };
}
