import { AppError } from '../errors.js';
import type { Factor, FactorKind, FactorStore } from '../store/ports.js';
import type { Proof, ProofMethod } from './assurance.js';
import type { FactorLimits } from './attempts.js';
import { typedCode, type FactorEnv, type FactorModule, type FormInput } from './factor.js';
import type { OneTimeCodes } from './one-time-codes.js';

/** Where a code goes, as the kind-specific part of an out-of-band code factor sees it. */
export interface CodeDestination {
  /** E.164 number or email address: what limits and "same channel" checks key on. */
  address: string;
  /** sms, voice or email: what the proof's amr says. */
  method: ProofMethod & ('sms' | 'voice' | 'email');
  /** What the page shows: "•••• 58". */
  masked: string;
}

/** The parts in which phone and email factors differ; everything else is shared below. */
export interface CodeChannel {
  kind: FactorKind;
  title: string;
  available(): boolean;
  /** Parses and validates the enrolment form into a destination, or throws an AppError the form shows. */
  destinationFromForm(env: FactorEnv, input: FormInput): Promise<CodeDestination>;
  destinationOf(factor: Factor): CodeDestination;
  /** The factor's stored data for a confirmed destination. */
  dataFor(destination: CodeDestination): Record<string, unknown>;
  describe(factor: Factor): string;
  /** `setup`: confirming a destination being enrolled; `sign-in`: answering the factor. */
  send(destination: CodeDestination, code: string, purpose: 'setup' | 'sign-in'): Promise<void>;
}

/**
 * An out-of-band code factor (text, call, email): a 6-digit code from the CSPRNG, stored
 * only as a keyed hash for 10 minutes, consumed once by an atomic compare-and-delete; a
 * resend replaces it. Sends are limited per account, destination and IP; wrong answers per
 * account and factor (FactorLimits), across flows.
 */
export function codeFactor(channel: CodeChannel, deps: { factors: FactorStore; codes: OneTimeCodes; limits: FactorLimits }): FactorModule {
  const { factors, codes, limits } = deps;
  const sendCode = async (env: FactorEnv, key: string, destination: CodeDestination, purpose: 'setup' | 'sign-in') => {
    await limits.reserveSend(env.account.id, destination.address, env.ip);
    await channel.send(destination, await codes.issue(key), purpose);
  };
  const proofFor = (destination: CodeDestination, factorId: string, at: number): Proof => ({
    method: destination.method,
    factorId,
    channel: destination.address,
    at,
  });
  // Enrolment codes are keyed by account and destination, sign-in codes by factor: one never answers the other.
  const enrolKey = (env: FactorEnv, d: CodeDestination) => `code:enrol:${env.account.id}:${channel.kind}:${d.method}:${d.address}`;
  const factorKey = (env: FactorEnv, factor: Factor) => `code:factor:${env.account.id}:${factor.id}`;

  return {
    kind: channel.kind,
    title: channel.title,
    available: () => channel.available(),
    describe: (factor) => channel.describe(factor),

    async beginEnrolment(env, input) {
      const destination = await channel.destinationFromForm(env, input);
      await sendCode(env, enrolKey(env, destination), destination, 'setup');
      return { ...destination };
    },
    async enrolmentView(_env, pending) {
      return { masked: pending.masked, method: pending.method };
    },
    async finishEnrolment(env, pending, input) {
      const destination = pending as unknown as CodeDestination;
      const key = enrolKey(env, destination);
      const ok = await limits.attempt(env.account.id, `enrol:${channel.kind}`, async () => ((await codes.consume(key, typedCode(input))) ? true : null));
      if (!ok) throw new AppError('wrong_code', 400);
      const factor = await factors.create(
        { accountId: env.account.id, kind: channel.kind, label: null, data: channel.dataFor(destination), counter: 0 },
        env.now,
      );
      return { factor, proof: proofFor(destination, factor.id, env.now) };
    },

    async challenge(env, factor) {
      const destination = channel.destinationOf(factor);
      await sendCode(env, factorKey(env, factor), destination, 'sign-in');
      return { view: { masked: destination.masked, method: destination.method, sent: true }, pending: { sentAt: env.now } };
    },
    async challengeView(_env, factor, pending) {
      const destination = channel.destinationOf(factor);
      return { masked: destination.masked, method: destination.method, sent: pending !== undefined };
    },
    async verify(env, factor, input) {
      const destination = channel.destinationOf(factor);
      const ok = await limits.attempt(env.account.id, factor.id, async () => ((await codes.consume(factorKey(env, factor), typedCode(input))) ? true : null));
      if (!ok) throw new AppError('wrong_code', 400);
      return proofFor(destination, factor.id, env.now);
    },
  };
}
