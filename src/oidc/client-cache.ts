import type Provider from 'oidc-provider';

type ProviderClient = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

/** Bound on the clients held (only clients that exist are held, but ids come from requests). */
const MAX_CLIENTS = 10_000;

/**
 * Safety net, not the invalidation: a held client is looked up again after this long even
 * when the version says nothing changed (MongoDB moves the version in a second write after
 * the client's, which can fail on its own).
 */
const MAX_AGE_MS = 60_000;

export interface ClientCacheDeps {
  /** ClientStore.version: moves whenever any client changes, in any process or instance. */
  version: () => Promise<string>;
  now: () => number;
}

/**
 * node-oidc-provider's Client.find reads the client through the adapter, then hashes its
 * metadata to find the Client it built before, on every token, introspection and
 * authorization request. This keeps the Client itself while the client store's version is
 * unchanged, so a request costs one small read instead.
 *
 * Security rule "a changed client applies at once, everywhere": the version is read on every
 * lookup, before the client, so a rotated secret, a removed redirect URI or a deleted client
 * is seen by every instance on its next request. A client is remembered under the version
 * read before it was loaded: if a change lands in between, the next lookup sees a newer
 * version and drops it. Unknown client ids are never remembered (they come from requests).
 */
export function cacheClients(provider: Provider, deps: ClientCacheDeps): void {
  const Client = provider.Client;
  const load = Client.find.bind(Client);
  let heldVersion: string | undefined;
  const held = new Map<string, { client: ProviderClient; at: number }>();

  Client.find = async (id: string) => {
    if (typeof id !== 'string' || !id) return load(id);
    const version = await deps.version();
    if (version !== heldVersion) {
      held.clear();
      heldVersion = version;
    }
    const now = deps.now();
    const hit = held.get(id);
    if (hit && now - hit.at < MAX_AGE_MS) return hit.client;
    const client = await load(id);
    if (!client) {
      held.delete(id);
      return client;
    }
    // Another lookup may have moved heldVersion meanwhile: keep this one only under the version it was loaded at.
    if (heldVersion === version) {
      if (held.size >= MAX_CLIENTS) held.clear();
      held.set(id, { client, at: now });
    }
    return client;
  };
}
