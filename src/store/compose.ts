import type { BackendHealth, Stores } from './ports.js';

interface Backend {
  health(): Promise<BackendHealth[]>;
  close(): Promise<void>;
}

/** Accounts, clients, consents and keys: MongoDB at scale, SQLite embedded. */
export type LongLivedStores = Pick<Stores, 'accounts' | 'clients' | 'consents' | 'secrets'> & Backend;
/** Provider artifacts and counters: Redis at scale, SQLite embedded. */
export type ShortLivedStores = Pick<Stores, 'oidc' | 'counters'> & Backend;

/** One Stores from a long-lived and a short-lived backend (which may be the same object). */
export function composeStores(longLived: LongLivedStores, shortLived: ShortLivedStores): Stores {
  const backends: Backend[] = (longLived as Backend) === (shortLived as Backend) ? [longLived] : [longLived, shortLived];
  return {
    accounts: longLived.accounts,
    clients: longLived.clients,
    consents: longLived.consents,
    secrets: longLived.secrets,
    oidc: shortLived.oidc,
    counters: shortLived.counters,
    async health() {
      return (await Promise.all(backends.map((b) => b.health()))).flat();
    },
    async close() {
      await Promise.all(backends.map((b) => b.close()));
    },
  };
}
