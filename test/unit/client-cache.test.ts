import type Provider from 'oidc-provider';
import { cacheClients } from '../../src/oidc/client-cache.js';

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
  const deps = { version: async () => String(version), now: () => now };
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
    cacheClients(provider, { now: () => now, version: async () => (down ? Promise.reject(new Error('store down')) : '1') });
    await find('a');
    down = true;
    await expect(find('a')).rejects.toThrow('store down');
  });
});
