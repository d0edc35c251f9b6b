import type { FindAccount } from 'oidc-provider';
import type { AccountLookup } from './request-accounts.js';

/** Claims the provider may release; a disabled account has none (its tokens stop working). */
export function createFindAccount(findById: AccountLookup): FindAccount {
  return async (_ctx, sub) => {
    const account = await findById(sub);
    if (!account || account.disabled) return undefined;
    return {
      accountId: account.id,
      async claims() {
        return {
          sub: account.id,
          email: account.email,
          email_verified: account.emailVerified,
          name: account.name ?? undefined,
          updated_at: Math.floor(account.updatedAt / 1000),
        };
      },
    };
  };
}
