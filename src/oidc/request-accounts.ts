import Provider from 'oidc-provider';
import type { Account, AccountStore } from '../store/ports.js';

export type AccountLookup = (id: string) => Promise<Account | null>;

/**
 * Account reads shared within one provider request: a refresh or a code exchange asks for
 * the account twice (the sign-in cutoff when the token is loaded, then findAccount for its
 * claims), and would read it twice. node-oidc-provider runs each request in an
 * AsyncLocalStorage (Provider.ctx); outside one (scripts, tests) every call reads. Both
 * checks then also see the same account, never one from before and one from after a
 * concurrent change.
 */
export function accountsPerRequest(accounts: AccountStore, currentRequest: () => object | undefined = () => Provider.ctx): AccountLookup {
  const read = new WeakMap<object, Map<string, Promise<Account | null>>>();
  return (id) => {
    const request = currentRequest();
    if (!request) return accounts.findById(id);
    let seen = read.get(request);
    if (!seen) read.set(request, (seen = new Map()));
    let account = seen.get(id);
    if (!account) seen.set(id, (account = accounts.findById(id)));
    return account;
  };
}
