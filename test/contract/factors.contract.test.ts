import { randomBytes, randomUUID } from 'node:crypto';
import { DuplicateError, type NewFactor } from '../../src/store/ports.js';
import { describeBackends, longLivedBackends } from './backends.js';

const backends = await longLivedBackends();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const T0 = 1_700_000_000_000;

const newCredentialId = () => randomBytes(32).toString('base64url');
const totp = (accountId: string, overrides: Partial<NewFactor> = {}): NewFactor => ({
  accountId,
  kind: 'totp',
  label: 'Phone app',
  data: { seed: 'v1.sealed.seed.tag' },
  counter: 0,
  ...overrides,
});
const webauthn = (accountId: string, credentialId = newCredentialId()): NewFactor => ({
  accountId,
  kind: 'webauthn',
  label: 'YubiKey',
  data: { credentialId, publicKey: randomBytes(77).toString('base64url'), transports: ['usb', 'nfc'], backedUp: false },
  counter: 7,
});

describeBackends(backends, (stores) => {
  describe('FactorStore', () => {
    test('create returns the stored factor; find returns it', async () => {
      const { factors } = stores();
      const accountId = randomUUID();
      const input = totp(accountId, { data: { seed: 's', nested: { empty: {}, list: [], flag: true, n: 1.5, none: null } } });
      const created = await factors.create(input, T0);
      expect(created).toEqual({
        id: expect.stringMatching(UUID),
        accountId,
        kind: 'totp',
        label: 'Phone app',
        data: input.data,
        counter: 0,
        createdAt: T0,
        lastUsedAt: null,
      });
      expect(await factors.find(accountId, created.id)).toEqual(created);
    });

    test('every kind round-trips, with a null label', async () => {
      const { factors } = stores();
      const accountId = randomUUID();
      const inputs: NewFactor[] = [
        totp(accountId, { label: null }),
        webauthn(accountId),
        { accountId, kind: 'phone', label: null, data: { phone: '+447700900123', channel: 'sms' }, counter: 0 },
        { accountId, kind: 'email', label: null, data: { email: 'ada@example.com' }, counter: 0 },
      ];
      for (const input of inputs) {
        const created = await factors.create(input, T0);
        expect(await factors.find(accountId, created.id)).toEqual({ ...input, id: created.id, createdAt: T0, lastUsedAt: null });
      }
    });

    test('listForAccount lists one account’s factors, oldest first', async () => {
      const { factors } = stores();
      const [mine, theirs] = [randomUUID(), randomUUID()];
      const second = await factors.create(webauthn(mine), T0 + 1);
      const first = await factors.create(totp(mine), T0);
      await factors.create(totp(theirs), T0);
      expect((await factors.listForAccount(mine)).map((f) => f.id)).toEqual([first.id, second.id]);
      expect(await factors.listForAccount(randomUUID())).toEqual([]);
    });

    test('find is scoped by account: another account’s factor id is not found', async () => {
      const { factors } = stores();
      const created = await factors.create(totp(randomUUID()), T0);
      expect(await factors.find(randomUUID(), created.id)).toBeNull();
      expect(await factors.find(created.accountId, randomUUID())).toBeNull();
    });

    test('findByCredentialId finds the webauthn factor by its exact credential id', async () => {
      const { factors } = stores();
      // base64url is case-sensitive: a credential id differing only in case is another one.
      const credentialId = `Ab-${newCredentialId()}`;
      const created = await factors.create(webauthn(randomUUID(), credentialId), T0);
      expect(await factors.findByCredentialId(credentialId)).toEqual(created);
      expect(await factors.findByCredentialId(newCredentialId())).toBeNull();
      expect(await factors.findByCredentialId(credentialId.toLowerCase())).toBeNull();
    });

    test('only webauthn factors are indexed by credential id', async () => {
      const { factors } = stores();
      const credentialId = newCredentialId();
      await factors.create(totp(randomUUID(), { data: { credentialId } }), T0);
      expect(await factors.findByCredentialId(credentialId)).toBeNull();
      // …and so do not block a webauthn factor with that id.
      await expect(factors.create(webauthn(randomUUID(), credentialId), T0)).resolves.toMatchObject({ kind: 'webauthn' });
    });

    test('a credential id registered to any account is a DuplicateError; a removed one can be registered again', async () => {
      const { factors } = stores();
      const credentialId = newCredentialId();
      const created = await factors.create(webauthn(randomUUID(), credentialId), T0);
      await expect(factors.create(webauthn(randomUUID(), credentialId), T0)).rejects.toBeInstanceOf(DuplicateError);
      await expect(factors.create(webauthn(created.accountId, credentialId), T0)).rejects.toBeInstanceOf(DuplicateError);
      expect(await factors.listForAccount(created.accountId)).toHaveLength(1);
      expect(await factors.remove(created.accountId, created.id)).toBe(true);
      expect(await factors.findByCredentialId(credentialId)).toBeNull();
      await expect(factors.create(webauthn(randomUUID(), credentialId), T0)).resolves.toMatchObject({ kind: 'webauthn' });
    });

    test('10 parallel registrations of one credential id: exactly one factor', async () => {
      const { factors } = stores();
      const credentialId = newCredentialId();
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => factors.create(webauthn(randomUUID(), credentialId), T0)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateError);
    });

    test('refuses a webauthn factor without a credential id, and a counter that is not a whole number', async () => {
      const { factors } = stores();
      const accountId = randomUUID();
      await expect(factors.create({ ...webauthn(accountId), data: { publicKey: 'x' } }, T0)).rejects.toThrow(TypeError);
      await expect(factors.create({ ...webauthn(accountId), data: { credentialId: '' } }, T0)).rejects.toThrow(TypeError);
      await expect(factors.create(totp(accountId, { counter: -1 }), T0)).rejects.toThrow(TypeError);
      await expect(factors.create(totp(accountId, { counter: 1.5 }), T0)).rejects.toThrow(TypeError);
      expect(await factors.listForAccount(accountId)).toEqual([]);
    });

    test('rename changes the label, for the owning account only', async () => {
      const { factors } = stores();
      const created = await factors.create(totp(randomUUID()), T0);
      expect(await factors.rename(randomUUID(), created.id, 'Stolen')).toBe(false);
      expect((await factors.find(created.accountId, created.id))?.label).toBe('Phone app');
      expect(await factors.rename(created.accountId, created.id, 'Work phone')).toBe(true);
      expect((await factors.find(created.accountId, created.id))?.label).toBe('Work phone');
      expect(await factors.rename(created.accountId, created.id, null)).toBe(true);
      expect((await factors.find(created.accountId, created.id))?.label).toBeNull();
      expect(await factors.rename(created.accountId, randomUUID(), 'Nothing')).toBe(false);
    });

    test('advanceCounter succeeds only for a value above the stored counter, and records the use', async () => {
      const { factors } = stores();
      const created = await factors.create(totp(randomUUID(), { counter: 10 }), T0);
      const { accountId, id } = created;
      expect(await factors.advanceCounter(accountId, id, 10, T0 + 1)).toBe(false);
      expect(await factors.advanceCounter(accountId, id, 9, T0 + 1)).toBe(false);
      expect(await factors.find(accountId, id)).toEqual(created);
      expect(await factors.advanceCounter(accountId, id, 12, T0 + 2)).toBe(true);
      expect(await factors.find(accountId, id)).toMatchObject({ counter: 12, lastUsedAt: T0 + 2 });
      // A replay of the same step is refused and does not move lastUsedAt.
      expect(await factors.advanceCounter(accountId, id, 12, T0 + 3)).toBe(false);
      expect(await factors.advanceCounter(accountId, id, 11, T0 + 3)).toBe(false);
      expect(await factors.find(accountId, id)).toMatchObject({ counter: 12, lastUsedAt: T0 + 2 });
      expect(await factors.advanceCounter(accountId, id, 13, T0 + 4)).toBe(true);
      expect(await factors.find(accountId, id)).toMatchObject({ counter: 13, lastUsedAt: T0 + 4 });
    });

    test('advanceCounter is scoped by account and refuses values that are not whole numbers', async () => {
      const { factors } = stores();
      const created = await factors.create(webauthn(randomUUID()), T0);
      expect(await factors.advanceCounter(randomUUID(), created.id, 100, T0)).toBe(false);
      expect(await factors.advanceCounter(created.accountId, randomUUID(), 100, T0)).toBe(false);
      expect(await factors.find(created.accountId, created.id)).toEqual(created);
      await expect(factors.advanceCounter(created.accountId, created.id, 8.5, T0)).rejects.toThrow(TypeError);
      await expect(factors.advanceCounter(created.accountId, created.id, Number.NaN, T0)).rejects.toThrow(TypeError);
      expect(await factors.find(created.accountId, created.id)).toEqual(created);
    });

    test('50 parallel advanceCounter calls with the same value: exactly one succeeds', async () => {
      const { factors } = stores();
      const { accountId, id } = await factors.create(totp(randomUUID()), T0);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => factors.advanceCounter(accountId, id, 56_666_667, T0 + i)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await factors.find(accountId, id)).toMatchObject({ counter: 56_666_667, lastUsedAt: T0 + results.indexOf(true) });
    });

    test('50 parallel advanceCounter calls with values 1..50: the counter ends at 50, never moved back', async () => {
      const { factors } = stores();
      const { accountId, id } = await factors.create(totp(randomUUID()), T0);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => factors.advanceCounter(accountId, id, 50 - i, T0)));
      expect(results[0]).toBe(true);
      expect((await factors.find(accountId, id))?.counter).toBe(50);
    });

    test('remove deletes the owning account’s factor only', async () => {
      const { factors } = stores();
      const created = await factors.create(webauthn(randomUUID()), T0);
      expect(await factors.remove(randomUUID(), created.id)).toBe(false);
      expect(await factors.find(created.accountId, created.id)).toEqual(created);
      expect(await factors.remove(created.accountId, created.id)).toBe(true);
      expect(await factors.find(created.accountId, created.id)).toBeNull();
      expect(await factors.remove(created.accountId, created.id)).toBe(false);
    });

    test('removeAllForAccount removes that account’s factors and says how many', async () => {
      const { factors } = stores();
      const [mine, theirs] = [randomUUID(), randomUUID()];
      await factors.create(totp(mine), T0);
      await factors.create(webauthn(mine), T0);
      const kept = await factors.create(totp(theirs), T0);
      expect(await factors.removeAllForAccount(mine)).toBe(2);
      expect(await factors.listForAccount(mine)).toEqual([]);
      expect(await factors.listForAccount(theirs)).toEqual([kept]);
      expect(await factors.removeAllForAccount(mine)).toBe(0);
    });
  });
});
