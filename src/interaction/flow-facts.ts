import type { FactorRegistry } from '../factors/registry.js';
import type { Account, BackupMethod, Factor } from '../store/ports.js';
import type { FlowFacts } from './flow.js';

/** An account's facts for the machine, and its factors usable now. */
export type FactsFor = (account: Account) => Promise<{ facts: FlowFacts; factors: Factor[] }>;

/**
 * What the pure machine (flow.ts) is told about an account before each move: its factors
 * (and which of them this deployment can use now), what can be set up, the recovery codes
 * left and whether a backup method exists. Read fresh for every event, so a factor added or
 * removed elsewhere counts at once.
 */
export function createFlowFacts(deps: {
  registry: FactorRegistry;
  backupMethods: { get(accountId: string): Promise<BackupMethod | null> };
  /** Whether "Join a subscription" is offered after an account is created. */
  offerJoin: boolean;
}): { factsFor: FactsFor; noFacts: () => FlowFacts } {
  const { registry } = deps;
  const factsFor: FactsFor = async (account) => {
    // One read of the account's factors: the usable ones are those whose module is available now.
    const enrolled = await registry.enrolledFor(account);
    const usable = (f: Factor) => registry.module(f.kind)?.available() === true;
    const recovery = registry.recovery();
    return {
      factors: enrolled.filter(usable),
      facts: {
        factors: enrolled.map((f) => ({ id: f.id, kind: f.kind, usable: usable(f) })),
        enrollable: registry.enrollable(),
        emailVerified: account.emailVerified,
        offerJoin: deps.offerJoin,
        recovery: recovery ? await recovery.remaining(account.id) : undefined,
        backupMethod: enrolled.length > 0 && (await deps.backupMethods.get(account.id)) !== null,
        enrolmentRequired: account.enrolmentRequired === true,
      },
    };
  };
  /** Facts for events that need none (the sign-up steps come before any account). */
  const noFacts = (): FlowFacts => ({ factors: [], enrollable: registry.enrollable() });
  return { factsFor, noFacts };
}
