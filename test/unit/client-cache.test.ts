import type Provider from 'oidc-provider';
import { performance } from 'node:perf_hooks';
import type { ClientMetadata, ClientStore } from '../../src/store/ports.js';
import { cacheClients, settleClientWrites } from '../../src/oidc/client-cache.js';

/** A stand-in for provider.Client: find() counts its loads and answers from `rows`. */
function fakeProvider(rows: Map<string, object>, during?: () => void) {
  const loads: string[] = [];
  const Client = {
    async find(id: string) {
      loads.push(id);
      const row = rows.get(id);
      // Something may change after the row was read and before the load returns it.
      during?.();
      // A fresh object per load, as node-oidc-provider builds a new Client for changed metadata.
      return row ? { ...row } : undefined;
    },
  };
  return { provider: { Client } as unknown as Provider, loads, find: (id: string) => Client.find(id) };
}

describe('client cache (oidc/client-cache.ts)', () => {
  let version = 1;
  let now = 1_000_000;
  // Every lookup reads the version here (no reuse window): the window has tests of its own below.
  const deps = { version: async () => String(version), now: () => now, versionReuseMs: 0 };
  beforeEach(() => {
    version = 1;
    now = 1_000_000;
  });

  test('a client is loaded once while the version stands, and again as soon as it moves', async () => {
    const rows = new Map([['a', { secret: 'one' }]]);
    const { provider, loads, find } = fakeProvider(rows);
    cacheClients(provider, deps);
    const first = await find('a');
    expect(await find('a')).toBe(first);
    expect(await find('a')).toBe(first);
    expect(loads).toEqual(['a']);

    rows.set('a', { secret: 'two' });
    version++;
    expect(await find('a')).toEqual({ secret: 'two' });
    expect(loads).toEqual(['a', 'a']);
  });

  test('a deleted client is gone on the next lookup', async () => {
    const rows = new Map([['a', { secret: 'one' }]]);
    const { provider, find } = fakeProvider(rows);
    cacheClients(provider, deps);
    await find('a');
    rows.delete('a');
    version++;
    expect(await find('a')).toBeUndefined();
  });

  test('a change landing while a client is being loaded is never hidden behind the cache', async () => {
    const rows = new Map([['a', { secret: 'one' }]]);
    // The change lands after the load read the row and before it returned (it returns the old one).
    let racing = true;
    const { provider, loads, find } = fakeProvider(rows, () => {
      if (!racing) return;
      racing = false;
      version++;
      rows.set('a', { secret: 'two' });
    });
    cacheClients(provider, deps);
    expect(await find('a')).toEqual({ secret: 'one' });
    // The next lookup reads the newer version and loads again: the old one is not kept.
    expect(await find('a')).toEqual({ secret: 'two' });
    expect(loads).toEqual(['a', 'a']);
    expect(await find('a')).toEqual({ secret: 'two' });
    expect(loads).toEqual(['a', 'a']);
  });

  test('unknown client ids are never remembered (they come from requests)', async () => {
    const rows = new Map<string, object>();
    const { provider, loads, find } = fakeProvider(rows);
    cacheClients(provider, deps);
    expect(await find('nobody')).toBeUndefined();
    rows.set('nobody', { secret: 'new' });
    // Created through a path that did not move this version: still found at once.
    expect(await find('nobody')).toEqual({ secret: 'new' });
    expect(loads).toEqual(['nobody', 'nobody']);
  });

  test('a held client is loaded again after a minute even if the version never moved', async () => {
    const rows = new Map([['a', { secret: 'one' }]]);
    const { provider, loads, find } = fakeProvider(rows);
    cacheClients(provider, deps);
    await find('a');
    now += 59_999;
    await find('a');
    expect(loads).toHaveLength(1);
    now += 1;
    await find('a');
    expect(loads).toHaveLength(2);
  });

  test('a failing version read fails the lookup (a store outage is never answered from memory)', async () => {
    const rows = new Map([['a', { secret: 'one' }]]);
    const { provider, find } = fakeProvider(rows);
    let down = false;
    cacheClients(provider, { now: () => now, versionReuseMs: 0, version: async () => (down ? Promise.reject(new Error('store down')) : '1') });
    await find('a');
    down = true;
    await expect(find('a')).rejects.toThrow('store down');
  });

  describe('the version read is reused for CLIENT_VERSION_REUSE_MS, never longer', () => {
    let mono = 0;
    let reads = 0;
    const windowDeps = (read: () => Promise<string>) => ({
      now: () => now,
      monotonic: () => mono,
      versionReuseMs: 10,
      version: () => (reads++, read()),
    });
    beforeEach(() => {
      mono = 0;
      reads = 0;
    });

    test('lookups within the window share one read; the first lookup after it reads again and sees a change', async () => {
      const rows = new Map([['a', { secret: 'one' }]]);
      const { provider, loads, find } = fakeProvider(rows);
      cacheClients(provider, windowDeps(async () => String(version)));
      await find('a');
      mono = 9.9;
      rows.set('a', { secret: 'two' });
      version++;
      // Within the window of the read issued at 0: the client held under that read answers.
      expect(await find('a')).toEqual({ secret: 'one' });
      expect(reads).toBe(1);
      mono = 10;
      expect(await find('a')).toEqual({ secret: 'two' });
      expect(reads).toBe(2);
      expect(loads).toEqual(['a', 'a']);
    });

    test('the window counts from when a read was issued, and lookups arriving meanwhile wait for its answer', async () => {
      const rows = new Map([['a', { secret: 'one' }]]);
      const { provider, find } = fakeProvider(rows);
      let answer: (value: string) => void = () => {};
      let slow = false;
      cacheClients(
        provider,
        windowDeps(() => (slow ? new Promise<string>((resolve) => (answer = resolve)) : Promise.resolve(String(version)))),
      );
      await find('a');
      // A read issued at 20 that takes a while; a change lands while it is in flight and is in its answer.
      mono = 20;
      slow = true;
      const first = find('a');
      mono = 25;
      rows.set('a', { secret: 'two' });
      version++;
      const second = find('a');
      answer(String(version));
      await expect(first).resolves.toEqual({ secret: 'two' });
      await expect(second).resolves.toEqual({ secret: 'two' });
      expect(reads).toBe(2);
    });

    test('a failed read is not reused: the next lookup reads again', async () => {
      const rows = new Map([['a', { secret: 'one' }]]);
      const { provider, find } = fakeProvider(rows);
      let down = false;
      cacheClients(provider, windowDeps(async () => (down ? Promise.reject(new Error('store down')) : '1')));
      await find('a');
      mono = 10;
      down = true;
      await expect(find('a')).rejects.toThrow('store down');
      down = false;
      await expect(find('a')).resolves.toEqual({ secret: 'one' });
      expect(reads).toBe(3);
    });
  });

  describe('settleClientWrites: a client write returns only after the reuse window', () => {
    const metadata = { client_id: 'c' } as ClientMetadata;
    function store(fail = false) {
      const writes: string[] = [];
      const done: Record<string, number> = {};
      const write = async (name: string) => {
        writes.push(name);
        done[name] = performance.now();
        if (fail) throw new Error('write failed');
      };
      const clients: ClientStore = {
        create: async () => write('create'),
        update: async () => (await write('update'), true),
        delete: async () => (await write('delete'), true),
        find: async () => metadata,
        list: async () => [metadata],
        version: async () => 'v',
      };
      return { clients, writes, done };
    }

    test('create, update and delete resolve 20 ms after the store has the change; reads pass through at once', async () => {
      const { clients, writes, done } = store();
      const settled = settleClientWrites(clients, 20);
      for (const [name, write] of [
        ['create', () => settled.create(metadata)],
        ['update', () => settled.update(metadata)],
        ['delete', () => settled.delete('c')],
      ] as const) {
        await write();
        expect(performance.now() - done[name]!).toBeGreaterThanOrEqual(20);
      }
      expect(writes).toEqual(['create', 'update', 'delete']);
      expect(await settled.update(metadata)).toBe(true);
      expect(await settled.find('c')).toBe(metadata);
      expect(await settled.version()).toBe('v');
    });

    test('a failed write waits too (it may have landed in part), then fails', async () => {
      const { clients, done } = store(true);
      await expect(settleClientWrites(clients, 20).update(metadata)).rejects.toThrow('write failed');
      expect(performance.now() - done.update!).toBeGreaterThanOrEqual(20);
    });
  });
});
