import { accountsPerRequest } from '../../src/oidc/request-accounts.js';
import type { Account, AccountStore } from '../../src/store/ports.js';

/** An account store that counts findById calls and answers with a fresh record each time. */
function countingStore() {
  const calls: string[] = [];
  const store = {
    findById: async (id: string) => {
      calls.push(id);
      return { id, email: `${id}@example.com`, version: calls.length } as unknown as Account;
    },
  } as unknown as AccountStore;
  return { store, calls };
}

describe('accountsPerRequest: one account read per provider request', () => {
  test('lookups within one request share one read (the same answer); another request reads again', async () => {
    const { store, calls } = countingStore();
    let current: object | undefined = {};
    const lookup = accountsPerRequest(store, () => current);
    const [a, b] = await Promise.all([lookup('ada'), lookup('ada')]);
    expect(a).toBe(b);
    expect(await lookup('grace')).toMatchObject({ id: 'grace' });
    expect(calls).toEqual(['ada', 'grace']);
    current = {};
    const c = await lookup('ada');
    expect(c).not.toBe(a);
    expect(calls).toEqual(['ada', 'grace', 'ada']);
  });

  test('outside a request every lookup reads', async () => {
    const { store, calls } = countingStore();
    const lookup = accountsPerRequest(store, () => undefined);
    await lookup('ada');
    await lookup('ada');
    expect(calls).toEqual(['ada', 'ada']);
  });

  test('two lookups (two providers) on the same request keep their reads apart, and leave no string key on it', async () => {
    const first = countingStore();
    const second = countingStore();
    const request = {};
    const one = accountsPerRequest(first.store, () => request);
    const two = accountsPerRequest(second.store, () => request);
    await one('ada');
    await two('ada');
    await one('ada');
    expect(first.calls).toEqual(['ada']);
    expect(second.calls).toEqual(['ada']);
    expect(Object.keys(request)).toEqual([]);
  });
});
