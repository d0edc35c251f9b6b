import { performance } from 'node:perf_hooks';
import type Provider from 'oidc-provider';
import type { ClientStore } from '../store/ports.js';

type ProviderClient = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

/** Bound on the clients held (only clients that exist are held, but ids come from requests). */
const MAX_CLIENTS = 10_000;

/**
 * Safety net, not the invalidation: a held client is looked up again after this long even
 * when the version says nothing changed (MongoDB moves the version in a second write after
 * the client's, which can fail on its own).
 */
const MAX_AGE_MS = 60_000;

/**
 * How long one read of the client store's version answers the lookups that follow it, and
 * how long every client write waits after it is stored before it returns (the two must be
 * equal: see settleClientWrites). On the SQLite file the read opens a read transaction
 * after each token write (~10–30 µs, a tenth of a client-credentials request); at this
 * window it is one read per few dozen requests under load.
 */
export const CLIENT_VERSION_REUSE_MS = 10;

export interface ClientCacheDeps {
  /** ClientStore.version: moves whenever any client changes, in any process or instance. */
  version: () => Promise<string>;
  /** Wall clock (ms), for the maximum age. */
  now: () => number;
  /** A monotonic clock (ms) for the version's reuse window; performance.now by default. */
  monotonic?: () => number;
  /** Defaults to CLIENT_VERSION_REUSE_MS; the client store's writes must wait at least as long. */
  versionReuseMs?: number;
}

/**
 * node-oidc-provider's Client.find reads the client through the adapter, then hashes its
 * metadata to find the Client it built before, on every token, introspection and
 * authorization request. This keeps the Client itself while the client store's version is
 * unchanged, so a request costs at most one small read instead.
 *
 * Security rule "a changed client applies at once, everywhere": once a client write has
 * returned (the CLI printed its answer, the console showed the new secret), no lookup that
 * starts afterwards, in any process or instance, uses the client from before it. A version
 * read is reused only by lookups starting less than `versionReuseMs` after the read was
 * issued, and every client write returns only that long after it was stored
 * (settleClientWrites): a lookup starting after the write returned therefore reuses no read
 * issued before the write; lookups arriving while a read is in flight wait for its answer.
 * A client is remembered under the version read before it was loaded: if a change lands in
 * between, the next read sees a newer version and drops it. Unknown client ids are never
 * remembered (they come from requests).
 */
export function cacheClients(provider: Provider, deps: ClientCacheDeps): void {
  const Client = provider.Client;
  const load = Client.find.bind(Client);
  const monotonic = deps.monotonic ?? (() => performance.now());
  const reuseMs = deps.versionReuseMs ?? CLIENT_VERSION_REUSE_MS;
  let heldVersion: string | undefined;
  const held = new Map<string, { client: ProviderClient; at: number }>();
  let lastRead: { issuedAt: number; version: Promise<string> } | undefined;

  const currentVersion = (): Promise<string> => {
    const issuedAt = monotonic();
    if (lastRead && issuedAt - lastRead.issuedAt < reuseMs) return lastRead.version;
    const read = { issuedAt, version: deps.version() };
    lastRead = read;
    // A failed read (store down) is not reused: the lookups awaiting it fail closed, the next one reads again.
    read.version.catch(() => {
      if (lastRead === read) lastRead = undefined;
    });
    return read.version;
  };

  Client.find = async (id: string) => {
    if (typeof id !== 'string' || !id) return load(id);
    const version = await currentVersion();
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

/** Resolves once `ms` have passed on the monotonic clock (a timer alone may fire early against it). */
async function pause(ms: number, monotonic: () => number): Promise<void> {
  const until = monotonic() + ms;
  for (let left = ms; left > 0; left = until - monotonic()) {
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
  }
}

/**
 * The writing half of "a changed client applies at once, everywhere" (see cacheClients):
 * create, update and delete return only `reuseMs` after the store has the change, so that
 * every version read a cache may still reuse by then was issued after the change. Reads
 * pass through. Client writes are rare administrative acts; the wait is not felt.
 */
export function settleClientWrites(
  store: ClientStore,
  reuseMs = CLIENT_VERSION_REUSE_MS,
  monotonic: () => number = () => performance.now(),
): ClientStore {
  const settled =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      // A write that failed may still have landed (MongoDB: the client, not the version bump): it waits too.
      try {
        return await write(...args);
      } finally {
        await pause(reuseMs, monotonic);
      }
    };
  return {
    create: settled((metadata) => store.create(metadata)),
    update: settled((metadata) => store.update(metadata)),
    delete: settled((clientId) => store.delete(clientId)),
    find: (clientId) => store.find(clientId),
    list: () => store.list(),
    version: () => store.version(),
  };
}
