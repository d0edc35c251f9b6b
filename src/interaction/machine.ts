/**
 * The sign-in flow as an explicit state machine: states, events and a pure transition
 * table. Only the `done` state may be handed to node-oidc-provider, with its amr/acr.
 * Second factors and recovery paths add states and events here, not branches in routes.
 */
import { ACR } from '../oidc/acr.js';

export type FlowState =
  | { step: 'password' }
  | { step: 'done'; accountId: string; amr: string[]; acr: string };

export type FlowEvent = { type: 'password_verified'; accountId: string };

export class InvalidTransition extends Error {
  constructor(state: FlowState, event: FlowEvent) {
    super(`Event ${event.type} is not allowed in state ${state.step}`);
    this.name = 'InvalidTransition';
  }
}

export const initialState = (): FlowState => ({ step: 'password' });

export function transition(state: FlowState, event: FlowEvent): FlowState {
  switch (state.step) {
    case 'password':
      if (event.type === 'password_verified') {
        return { step: 'done', accountId: event.accountId, amr: ['pwd'], acr: ACR.singleFactor };
      }
      break;
    case 'done':
      break;
  }
  throw new InvalidTransition(state, event);
}
