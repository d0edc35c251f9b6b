import type { Account, Factor, FactorKind, FactorStore } from '../store/ports.js';
import type { FactorModule } from './factor.js';
import type { RecoveryCodes } from './recovery/recovery-codes.js';

export interface FactorRegistry {
  module(kind: FactorKind): FactorModule | undefined;
  /** Kinds this deployment can set up now, in the order they are offered. */
  enrollable(): FactorKind[];
  /**
   * Every factor the account has enrolled (whether this deployment can use it now or not):
   * what decides that 2FA is on. A factor whose channel was unconfigured still counts, so a
   * configuration change never turns an account's sign-in into a password-only one.
   */
  enrolledFor(account: Account): Promise<Factor[]>;
  /** Whether 2FA is on for the account: it has enrolled a factor (as enrolledFor counts them). */
  hasEnrolled(account: Account): Promise<boolean>;
  /** The account's factors whose module is registered and available ("Authenticate a different way"). */
  configuredFor(account: Account): Promise<Factor[]>;
  /**
   * The recovery key and backup codes: factors of their own, verify only (made when 2FA is
   * turned on, never enrolled like a device). Absent in registries built without them.
   */
  recovery(): RecoveryCodes | undefined;
  /** Removes one of the account's factors; false when it has no such factor. */
  remove(account: Account, factorId: string): Promise<boolean>;
}

export function createFactorRegistry(deps: { factors: FactorStore; modules: FactorModule[]; recovery?: RecoveryCodes }): FactorRegistry {
  const byKind = new Map(deps.modules.map((m) => [m.kind, m] as const));
  const enrolledFor = async (account: Account) => (await deps.factors.listForAccount(account.id)).filter((f) => byKind.has(f.kind));
  return {
    module: (kind) => byKind.get(kind),
    recovery: () => deps.recovery,
    remove: (account, factorId) => deps.factors.remove(account.id, factorId),
    enrollable: () => deps.modules.filter((m) => m.available()).map((m) => m.kind),
    enrolledFor,
    hasEnrolled: async (account) => (await enrolledFor(account)).length > 0,
    async configuredFor(account) {
      const all = await deps.factors.listForAccount(account.id);
      return all.filter((f) => byKind.get(f.kind)?.available());
    },
  };
}
