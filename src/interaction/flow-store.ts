import type { SecretBox } from '../crypto/secret-box.js';
import { flowStateSchema, type FlowState } from './flow.js';

/** The key of ours inside node-oidc-provider's `interaction.result`. */
const KEY = 'latchkey';

/** The part of node-oidc-provider's Interaction the flow needs. */
export interface StoredInteraction {
  uid: string;
  result?: Record<string, unknown>;
  persist(): Promise<unknown>;
}

/**
 * The flow state kept in the Interaction record, so it expires with it and any instance
 * can continue it. Read back through the schema and refused unless it names this
 * interaction: a half-finished result can reappear as the next interaction's lastSubmission.
 */
export function readFlowState(interaction: StoredInteraction): FlowState | undefined {
  const parsed = flowStateSchema.safeParse(interaction.result?.[KEY]);
  return parsed.success && parsed.data.uid === interaction.uid ? parsed.data : undefined;
}

/** Saves the state (persist keeps the interaction's remaining lifetime). */
export async function saveFlowState(interaction: StoredInteraction, state: FlowState): Promise<void> {
  interaction.result = { [KEY]: state };
  await interaction.persist();
}

/** Pending secrets (a new TOTP seed, where a code was sent) sealed to this interaction and step. */
export function createPendingSeal(box: SecretBox) {
  const purpose = (state: FlowState) => `flow:${state.uid}:${state.step}:${state.factorId ?? state.enrolKind ?? ''}`;
  return {
    seal(state: FlowState, pending: Record<string, unknown>): FlowState {
      return { ...state, pending: box.seal(JSON.stringify(pending), purpose(state)) };
    },
    open(state: FlowState): Record<string, unknown> | undefined {
      if (!state.pending) return undefined;
      try {
        return JSON.parse(box.open(state.pending, purpose(state))) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    },
  };
}
export type PendingSeal = ReturnType<typeof createPendingSeal>;
