import type { Backend, LongLivedStores, ShortLivedStores, Stores } from './ports.js';

/** One Stores from a long-lived and a short-lived backend (which may be the same object). */
export function composeStores(longLived: LongLivedStores, shortLived: ShortLivedStores): Stores {
  const backends: Backend[] = (longLived as Backend) === (shortLived as Backend) ? [longLived] : [longLived, shortLived];
  return {
    accounts: longLived.accounts,
    clients: longLived.clients,
    consents: longLived.consents,
    secrets: longLived.secrets,
    factors: longLived.factors,
    recoveryCodes: longLived.recoveryCodes,
    subscriptions: longLived.subscriptions,
    backupMethods: longLived.backupMethods,
    audit: longLived.audit,
    oidc: shortLived.oidc,
    counters: shortLived.counters,
    oneTime: shortLived.oneTime,
    async health() {
      return (await Promise.all(backends.map((b) => b.health()))).flat();
    },
    async close() {
      await Promise.all(backends.map((b) => b.close()));
    },
  };
}
