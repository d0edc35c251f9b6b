import { initialState, InvalidTransition, transition } from '../../src/interaction/machine.js';
import { ACR } from '../../src/oidc/acr.js';

describe('sign-in state machine', () => {
  test('starts by asking for the password', () => {
    expect(initialState()).toEqual({ step: 'password' });
  });

  test('a verified password ends the flow with pwd and the single-factor acr', () => {
    expect(transition(initialState(), { type: 'password_verified', accountId: 'a1' })).toEqual({
      step: 'done',
      accountId: 'a1',
      amr: ['pwd'],
      acr: ACR.singleFactor,
    });
  });

  test('nothing moves a finished flow', () => {
    const done = transition(initialState(), { type: 'password_verified', accountId: 'a1' });
    expect(() => transition(done, { type: 'password_verified', accountId: 'a2' })).toThrow(InvalidTransition);
  });
});
