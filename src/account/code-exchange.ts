import { createHash, timingSafeEqual } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import { AppError } from '../errors.js';
import { CONSOLE_CLIENT_ID } from './console-client.js';

/** What a redeemed console code says about the authentication behind it. */
export interface ConsoleAuthentication {
  accountId: string;
  acr: string | undefined;
  amr: string[];
  /** auth_time, epoch seconds. */
  authTime: number;
  /** The code's iat, epoch seconds (node-oidc-provider's clock, like auth_time). */
  codeIssuedAt: number;
  /** The provider session the user signed in to; the console session ends with it. */
  sessionUid: string | undefined;
  /** The console's grant: revoked (e.g. on a detected code reuse), it ends the console session too. */
  grantId: string;
}

export interface CodeRedemption {
  code: string;
  /** The PKCE verifier the console kept in its login-state cookie. */
  verifier: string;
  redirectUri: string;
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

const refused = () => new AppError('account_signin_expired', 400);

/**
 * Redeems an authorization code for the console inside the OP, with the checks the token
 * endpoint makes (RFC 6749 4.1.3, RFC 7636 4.6): the code exists and has not expired, was
 * issued to the console for its redirect_uri, the verifier matches its S256 challenge, and
 * its grant still belongs to the same client and account. Only then is it consumed, by the
 * store's one atomic conditional write (security rule "single use under concurrency"): the
 * loser of a race gets a 400 page, and the reuse revokes the grant as at /token.
 */
export async function redeemConsoleCode(provider: Provider, request: CodeRedemption): Promise<ConsoleAuthentication> {
  const { code, verifier, redirectUri } = request;
  // node-oidc-provider's codes are 43 characters; anything far longer is not one of them.
  if (code.length === 0 || code.length > 128) throw refused();
  const found = await provider.AuthorizationCode.find(code);
  if (!found || found.isExpired) throw refused();
  if (found.clientId !== CONSOLE_CLIENT_ID || found.redirectUri !== redirectUri) throw refused();
  if (found.codeChallengeMethod !== 'S256' || !found.codeChallenge || !sameText(found.codeChallenge, s256(verifier))) throw refused();
  if (!found.accountId || typeof found.authTime !== 'number' || !found.grantId) throw refused();
  const grant = await provider.Grant.find(found.grantId);
  if (!grant || grant.clientId !== found.clientId || grant.accountId !== found.accountId) throw refused();
  try {
    await found.consume();
  } catch (error) {
    if (error instanceof errors.InvalidGrant) throw refused();
    throw error;
  }
  return {
    accountId: found.accountId,
    acr: found.acr,
    amr: Array.isArray(found.amr) ? found.amr.filter((v): v is string => typeof v === 'string') : [],
    authTime: found.authTime,
    codeIssuedAt: found.iat,
    sessionUid: found.sessionUid,
    grantId: found.grantId,
  };
}
