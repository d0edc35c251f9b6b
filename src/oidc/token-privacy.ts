import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import { RESOURCE_SERVER } from './client-policy.js';

interface PresentedToken {
  kind: string;
  clientId?: string;
}

/** Tokens a resource server presents to learn who called it: access tokens, never refresh tokens. */
const ACCESS_TOKENS = new Set(['AccessToken', 'ClientCredentials']);

const isResourceServer = (client: Client) =>
  client.clientAuthMethod !== 'none' && client.metadata()[RESOURCE_SERVER] === true;

/**
 * Token privacy at /token/introspection: a client learns about tokens issued to it only;
 * a registered resource server (latchkey_resource_server, confidential) also about other
 * clients' access tokens. Anything else gets the ordinary inactive answer, which does not
 * reveal whether the token exists (RFC 7662 section 4).
 */
export function introspectionAllowed(_ctx: KoaContextWithOIDC, client: Client, token: PresentedToken): boolean {
  if (token.clientId === client.clientId) return true;
  return ACCESS_TOKENS.has(token.kind) && isResourceServer(client);
}

/**
 * Token privacy at /token/revocation: a client revokes only tokens issued to it. Another
 * client's token is left alone and the answer is the same 200 as for an unknown token
 * (RFC 7009 section 2.2), so revocation cannot be used to probe whether a token is valid.
 */
export function revocationAllowed(_ctx: KoaContextWithOIDC, client: Client, token: PresentedToken): boolean {
  return token.clientId === client.clientId;
}
