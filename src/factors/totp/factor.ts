import type { SecretBox } from '../../crypto/secret-box.js';
import { AppError } from '../../errors.js';
import type { Factor, FactorStore } from '../../store/ports.js';
import type { Proof } from '../assurance.js';
import type { FactorLimits } from '../attempts.js';
import { typedCode, type FactorEnv, type FactorModule, type FormInput } from '../factor.js';
import { generateTotpSecret, totpUri, verifyTotp } from './totp.js';

const SEED_PURPOSE = 'factor.totp.seed';

/** The secret in groups of four, as people copy it by hand ("Can't scan?"). */
const grouped = (secret: string) => secret.match(/.{1,4}/g)!.join(' ');

/**
 * Authenticator app (TOTP: SHA-1, 6 digits, 30 s, ±1 step). The seed is sealed at rest;
 * security rule "a time step is accepted at most once per account": the matched step must
 * be above the stored one and is recorded by one atomic conditional write, so a replay (or
 * the slower of two racing sign-ins) is refused.
 */
export function totpFactor(deps: { factors: FactorStore; box: SecretBox; limits: FactorLimits; issuerName: string }): FactorModule {
  const { factors, box, limits, issuerName } = deps;
  return {
    kind: 'totp',
    title: 'Authenticator app',
    available: () => true,
    describe: (factor) => factor.label ?? 'Authenticator app',

    async beginEnrolment() {
      return { seed: generateTotpSecret() };
    },
    async enrolmentView(env, pending) {
      const seed = String(pending.seed);
      const uri = totpUri({ issuer: issuerName, accountName: env.account.email, secret: seed });
      return { qr: await (await import('qrcode')).default.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 220 }), secret: grouped(seed), uri };
    },
    async finishEnrolment(env, pending, input) {
      const seed = String(pending.seed);
      const step = verifyTotp(seed, typedCode(input), env.now);
      if (step === null) throw new AppError('wrong_code', 400);
      const factor = await factors.create(
        { accountId: env.account.id, kind: 'totp', label: 'Authenticator app', data: { seed: box.seal(seed, SEED_PURPOSE) }, counter: step },
        env.now,
      );
      return { factor, proof: { method: 'totp', factorId: factor.id, at: env.now } };
    },

    async challenge() {
      return { view: {} };
    },
    async challengeView() {
      return {};
    },
    async verify(env: FactorEnv, factor: Factor, input: FormInput): Promise<Proof> {
      const proof = await limits.attempt(env.account.id, factor.id, async () => {
        const seed = box.open(String(factor.data.seed), SEED_PURPOSE);
        const step = verifyTotp(seed, typedCode(input), env.now, { afterStep: factor.counter });
        if (step === null) return null;
        if (!(await factors.advanceCounter(env.account.id, factor.id, step, env.now))) return null;
        return { method: 'totp', factorId: factor.id, at: env.now } satisfies Proof;
      });
      if (!proof) throw new AppError('wrong_code', 400);
      return proof;
    },
  };
}
