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
 *
 * The reads are kept on the request's context under a key of this lookup's own, not in a
 * WeakMap keyed by the context: a long-lived WeakMap holding entries for young contexts kept
 * every request alive through V8's young-generation collections (measured: ~9 KB promoted to
 * the old generation per refresh, left for full GCs).
 */
export function accountsPerRequest(accounts: AccountStore, currentRequest: () => object | undefined = () => Provider.ctx): AccountLookup {
  const key = Symbol('accounts read in this request');
  return (id) => {
    const request = currentRequest() as { [key]?: Map<string, Promise<Account | null>> } | undefined;
    if (!request) return accounts.findById(id);
    const seen = (request[key] ??= new Map());
    let account = seen.get(id);
    if (!account) seen.set(id, (account = accounts.findById(id)));
    return account;
  };
}
