import type { OidcPayload } from '../store/ports.js';
import type { AccountLookup } from './request-accounts.js';

/**
 * The provider artifacts that stand for a sign-in of an account, and the field holding
 * when it happened (epoch seconds): a session's login time, the auth_time that codes and
 * refresh tokens carry over from the session (through every rotation), an access token's
 * issue time (one is only ever minted from one of the others).
 */
const SIGNED_IN_AT: Record<string, readonly string[]> = {
  Session: ['loginTs'],
  AuthorizationCode: ['authTime', 'iat'],
  RefreshToken: ['authTime', 'iat'],
  DeviceCode: ['authTime', 'iat'],
  BackchannelAuthenticationRequest: ['authTime', 'iat'],
  AccessToken: ['iat'],
};

export interface SignInCutoff {
  /** Whether `model` artifacts are checked at all (the others skip the account lookup). */
  applies(model: string): boolean;
  /** False when the artifact belongs to a sign-in the account has ended since. */
  stillValid(model: string, payload: OidcPayload): Promise<boolean>;
}

/**
 * Security rule "a password reset ends every session and token of the account". The
 * stores cannot list an account's artifacts (they are kept under digests of their ids with
 * sealed payloads, in Redis or SQLite), so they are not deleted: the account records when
 * its password changed (Account.sessionsValidAfter) and every artifact of a sign-in from
 * before that is treated as absent whenever node-oidc-provider loads it (adapter.ts): the
 * browser session is signed out, codes, refresh and access tokens are refused (and
 * introspect as inactive), and the account console, which checks its provider session on
 * every request, ends too.
 *
 * auth_time has a resolution of one second, so a sign-in within the second of the change
 * is ended as well (erring on the side of ending); password-reset.ts answers only once
 * that second has passed, so no sign-in the person makes afterwards falls in it.
 */
export function createSignInCutoff(findAccount: AccountLookup): SignInCutoff {
  return {
    applies: (model) => Object.hasOwn(SIGNED_IN_AT, model),
    async stillValid(model, payload) {
      const fields = SIGNED_IN_AT[model];
      const accountId = payload.accountId;
      if (!fields || typeof accountId !== 'string') return true;
      const account = await findAccount(accountId);
      if (account?.sessionsValidAfter === undefined) return true;
      const signedInAt = fields.map((field) => payload[field]).find((value): value is number => typeof value === 'number');
      // Without a time, the artifact cannot show it is newer than the change: refused.
      if (signedInAt === undefined) return false;
      return signedInAt > Math.floor(account.sessionsValidAfter / 1000);
    },
  };
}
