import { interactionPolicy } from 'oidc-provider';

/**
 * `prompt=create` (OpenID Connect "Initiating User Registration via OpenID Connect 1.0"):
 * node-oidc-provider 9 has no such prompt built in, so the policy gets a requestable one.
 * Placed first, it starts the interaction at the "Create account" form even when a session
 * exists; the sign-in dispatcher resolves it (`create` in the interaction result) however
 * the flow ends, so the request is not prompted again on resume.
 */
export function createPrompt(): interactionPolicy.Prompt {
  return new interactionPolicy.Prompt({ name: 'create', requestable: true });
}

/** Whether an authorization request asked for the account creation page. */
export function promptsCreate(params: { prompt?: unknown }): boolean {
  return typeof params.prompt === 'string' && params.prompt.split(' ').includes('create');
}
