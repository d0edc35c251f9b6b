import { randomBytes } from 'node:crypto';
import type { ClientMetadata } from '../store/ports.js';

export const CONSOLE_CLIENT_ID = 'latchkey-console';
/** What the console asks for: who the user is, their name and email for the profile page. */
export const CONSOLE_SCOPES = 'openid profile email';
export const CONSOLE_CALLBACK_PATH = '/account/callback';

/** The console as node-oidc-provider sees it (a static client), plus what the provider needs to treat it as first-party. */
export interface ConsoleClient {
  metadata: ClientMetadata;
  /** Granted without a consent page: the console is Latchkey itself. */
  scopes: string;
}

/**
 * The account console's client registration: a static client of the provider, so it is
 * "registered" at every start without a write, cannot be shadowed or deleted through the
 * client store, and is never listed by `latchkey clients`.
 *
 * Security rule "the console's codes are redeemed in-process only": the console exchanges
 * its codes inside the OP (account/code-exchange.ts), never at /token. It is registered as
 * a confidential client whose secret is random per process and never leaves this object,
 * so nobody can redeem a console code at the token endpoint, even with the PKCE verifier.
 */
export function consoleClient(issuer: string): ConsoleClient {
  return {
    scopes: CONSOLE_SCOPES,
    metadata: {
      client_id: CONSOLE_CLIENT_ID,
      client_name: 'Your Latchkey account',
      client_secret: randomBytes(32).toString('base64url'),
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [`${issuer}${CONSOLE_CALLBACK_PATH}`],
      post_logout_redirect_uris: [],
    },
  };
}
