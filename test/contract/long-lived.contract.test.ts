import { randomUUID } from 'node:crypto';
import { DuplicateError, type NewAccount } from '../../src/store/ports.js';
import { describeBackends, longLivedBackends } from './backends.js';

const backends = await longLivedBackends();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const newAccount = (overrides: Partial<NewAccount> = {}): NewAccount => ({
  email: `User.${randomUUID()}@Example.COM`,
  emailVerified: false,
  name: 'Ada Lovelace',
  passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
  ...overrides,
});

describeBackends(backends, (stores) => {
  describe('AccountStore', () => {
    test('create returns the stored account; findById and findByEmail return it', async () => {
      const { accounts } = stores();
      const input = newAccount({ emailVerified: true });
      const before = Date.now();
      const created = await accounts.create(input);
      expect(created).toEqual({
        id: expect.stringMatching(UUID),
        email: input.email,
        emailVerified: true,
        name: input.name,
        passwordHash: input.passwordHash,
        disabled: false,
        createdAt: expect.any(Number),
        updatedAt: created.createdAt,
      });
      expect(created.createdAt).toBeGreaterThanOrEqual(before);
      expect(await accounts.findById(created.id)).toEqual(created);
      expect(await accounts.findByEmail(input.email)).toEqual(created);
    });

    test('a null name round-trips', async () => {
      const { accounts } = stores();
      const created = await accounts.create(newAccount({ name: null }));
      expect((await accounts.findById(created.id))?.name).toBeNull();
    });

    test('findByEmail is case-insensitive and keeps the email as given', async () => {
      const { accounts } = stores();
      const input = newAccount();
      const created = await accounts.create(input);
      const found = await accounts.findByEmail(input.email.toUpperCase());
      expect(found?.id).toBe(created.id);
      expect(found?.email).toBe(input.email);
      expect((await accounts.findByEmail(input.email.toLowerCase()))?.id).toBe(created.id);
    });

    test('missing accounts are null', async () => {
      const { accounts } = stores();
      expect(await accounts.findById(randomUUID())).toBeNull();
      expect(await accounts.findByEmail(`nobody-${randomUUID()}@example.com`)).toBeNull();
    });

    test('updatePassword replaces the hash and stamps sessionsValidAfter and updatedAt with now', async () => {
      const { accounts } = stores();
      const created = await accounts.create(newAccount());
      expect(created.sessionsValidAfter).toBeUndefined();
      const before = Date.now();
      expect(await accounts.updatePassword(created.id, '$argon2id$new')).toBe(true);
      const after = Date.now();
      const updated = (await accounts.findById(created.id))!;
      expect(updated).toEqual({ ...created, passwordHash: '$argon2id$new', updatedAt: expect.any(Number), sessionsValidAfter: expect.any(Number) });
      expect(updated.sessionsValidAfter).toBeGreaterThanOrEqual(before);
      expect(updated.sessionsValidAfter).toBeLessThanOrEqual(after);
      expect(updated.updatedAt).toBe(updated.sessionsValidAfter);
      expect((await accounts.findByEmail(created.email))?.passwordHash).toBe('$argon2id$new');
      expect((await accounts.list()).find((a) => a.id === created.id)?.sessionsValidAfter).toBe(updated.sessionsValidAfter);
    });

    test('updatePassword of a missing account is false and changes nothing', async () => {
      const { accounts } = stores();
      const other = await accounts.create(newAccount());
      expect(await accounts.updatePassword(randomUUID(), '$argon2id$new')).toBe(false);
      expect(await accounts.findById(other.id)).toEqual(other);
    });

    test('markEmailVerified sets emailVerified and updatedAt, leaves the rest, and is idempotent', async () => {
      const { accounts } = stores();
      const created = await accounts.create(newAccount({ emailVerified: false }));
      const before = Date.now();
      expect(await accounts.markEmailVerified(created.id)).toBe(true);
      const verified = (await accounts.findById(created.id))!;
      expect(verified).toEqual({ ...created, emailVerified: true, updatedAt: expect.any(Number) });
      expect(verified.updatedAt).toBeGreaterThanOrEqual(before);
      expect(await accounts.markEmailVerified(created.id)).toBe(true);
      expect((await accounts.findByEmail(created.email))?.emailVerified).toBe(true);
    });

    test('markEmailVerified of a missing account is false and changes nothing', async () => {
      const { accounts } = stores();
      const other = await accounts.create(newAccount({ emailVerified: false }));
      expect(await accounts.markEmailVerified(randomUUID())).toBe(false);
      expect(await accounts.findById(other.id)).toEqual(other);
    });

    test('endSessions stamps sessionsValidAfter with now and keeps the password', async () => {
      const { accounts } = stores();
      const created = await accounts.create(newAccount());
      const before = Date.now();
      expect(await accounts.endSessions(created.id)).toBe(true);
      const ended = (await accounts.findById(created.id))!;
      expect(ended.passwordHash).toBe(created.passwordHash);
      expect(ended.sessionsValidAfter).toBeGreaterThanOrEqual(before);
      expect(ended.updatedAt).toBe(ended.sessionsValidAfter);
      expect(await accounts.endSessions(randomUUID())).toBe(false);
    });

    test('updatePassword(…, true) marks the password as set through a link; confirmPassword and a later plain update clear it', async () => {
      const { accounts } = stores();
      const created = await accounts.create(newAccount());
      expect(created.passwordFromLink).toBeUndefined();
      expect(await accounts.updatePassword(created.id, '$argon2id$link', true)).toBe(true);
      expect((await accounts.findById(created.id))!.passwordFromLink).toBe(true);
      expect(await accounts.confirmPassword(created.id)).toBe(true);
      expect((await accounts.findById(created.id))!.passwordFromLink).toBeUndefined();
      await accounts.updatePassword(created.id, '$argon2id$link2', true);
      await accounts.updatePassword(created.id, '$argon2id$typed');
      expect((await accounts.findByEmail(created.email))!.passwordFromLink).toBeUndefined();
      expect(await accounts.confirmPassword(randomUUID())).toBe(false);
    });

    test('setEnrolmentRequired sets and clears the flag; absent by default', async () => {
      const { accounts } = stores();
      const created = await accounts.create(newAccount());
      expect(created.enrolmentRequired).toBeUndefined();
      expect(await accounts.setEnrolmentRequired(created.id, true)).toBe(true);
      expect((await accounts.findById(created.id))!.enrolmentRequired).toBe(true);
      expect((await accounts.findByEmail(created.email))!.enrolmentRequired).toBe(true);
      expect(await accounts.setEnrolmentRequired(created.id, false)).toBe(true);
      expect((await accounts.findById(created.id))!.enrolmentRequired).toBeUndefined();
      expect(await accounts.setEnrolmentRequired(randomUUID(), true)).toBe(false);
    });

    test('an email taken in any case is a DuplicateError', async () => {
      const { accounts } = stores();
      const input = newAccount();
      await accounts.create(input);
      await expect(accounts.create(newAccount({ email: input.email.toLowerCase() }))).rejects.toBeInstanceOf(
        DuplicateError,
      );
      await expect(accounts.create(newAccount({ email: input.email.toUpperCase() }))).rejects.toBeInstanceOf(
        DuplicateError,
      );
    });

    test('10 parallel sign-ups with one email: exactly one account', async () => {
      const { accounts } = stores();
      const email = `race-${randomUUID()}@example.com`;
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => accounts.create(newAccount({ email: i % 2 ? email.toUpperCase() : email }))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateError);
      }
    });

    test('list returns accounts in creation order', async () => {
      const { accounts } = stores();
      const first = await accounts.create(newAccount());
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await accounts.create(newAccount());
      const ids = (await accounts.list()).map((a) => a.id);
      expect(ids).toContain(first.id);
      expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
      expect((await accounts.list()).find((a) => a.id === second.id)).toEqual(second);
    });
  });

  describe('ClientStore', () => {
    const metadata = () => ({
      client_id: `client-${randomUUID()}`,
      client_secret: 's3cret',
      redirect_uris: ['https://rp.example.com/cb', 'https://rp.example.com/cb2'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: [] as string[],
      require_pushed_authorization_requests: false,
      'urn:custom': { nested: { empty: {}, list: [] as unknown[], n: 1.5, nothing: null } },
    });

    test('create then find round-trips the metadata exactly', async () => {
      const { clients } = stores();
      const client = metadata();
      await clients.create(client);
      expect(await clients.find(client.client_id)).toEqual(client);
    });

    test('find of a missing client is null', async () => {
      expect(await stores().clients.find(`missing-${randomUUID()}`)).toBeNull();
    });

    test('a duplicate client_id is a DuplicateError and keeps the first', async () => {
      const { clients } = stores();
      const client = metadata();
      await clients.create(client);
      await expect(clients.create({ ...client, client_secret: 'other' })).rejects.toBeInstanceOf(DuplicateError);
      expect((await clients.find(client.client_id))?.client_secret).toBe('s3cret');
    });

    test('list includes created clients in creation order', async () => {
      const { clients } = stores();
      const [a, b] = [metadata(), metadata()];
      await clients.create(a);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await clients.create(b);
      const listed = await clients.list();
      const ids = listed.map((c) => c.client_id);
      expect(ids.indexOf(a.client_id)).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf(a.client_id)).toBeLessThan(ids.indexOf(b.client_id));
      expect(listed.find((c) => c.client_id === b.client_id)).toEqual(b);
    });

    test('update replaces the metadata exactly, keeps the client in place, and says whether there was one', async () => {
      const { clients } = stores();
      const [first, client, last] = [metadata(), metadata(), metadata()];
      for (const c of [first, client, last]) {
        await clients.create(c);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const changed = {
        client_id: client.client_id,
        client_secret: 'rotated',
        redirect_uris: ['https://rp.example.com/other'],
        grant_types: ['client_credentials'],
        response_types: [] as string[],
        'urn:custom': { empty: {}, list: [] as unknown[] },
      };
      expect(await clients.update(changed)).toBe(true);
      // Replaced, not merged: fields absent from the new metadata are gone.
      expect(await clients.find(client.client_id)).toEqual(changed);
      expect(await clients.find(first.client_id)).toEqual(first);
      expect(await clients.find(last.client_id)).toEqual(last);
      const ids = (await clients.list()).map((c) => c.client_id);
      expect(ids.indexOf(first.client_id)).toBeLessThan(ids.indexOf(client.client_id));
      expect(ids.indexOf(client.client_id)).toBeLessThan(ids.indexOf(last.client_id));
    });

    test('update of a missing client is false and creates nothing', async () => {
      const { clients } = stores();
      const client = metadata();
      expect(await clients.update(client)).toBe(false);
      expect(await clients.find(client.client_id)).toBeNull();
    });

    test('version moves with every create, update and delete, and with nothing else', async () => {
      const { clients } = stores();
      const client = metadata();
      const seen = [await clients.version()];
      const expectMoved = async () => {
        const now = await clients.version();
        expect(seen).not.toContain(now);
        seen.push(now);
      };
      await clients.create(client);
      await expectMoved();
      await clients.find(client.client_id);
      await clients.list();
      expect(await clients.update({ ...metadata(), client_id: `missing-${randomUUID()}` })).toBe(false);
      expect(await clients.delete(`missing-${randomUUID()}`)).toBe(false);
      await expect(clients.create({ ...client })).rejects.toBeInstanceOf(DuplicateError);
      expect(await clients.version()).toBe(seen.at(-1));
      await clients.update({ ...client, client_secret: 'rotated' });
      await expectMoved();
      await clients.delete(client.client_id);
      await expectMoved();
    });

    test('delete removes the client and says whether there was one', async () => {
      const { clients } = stores();
      const client = metadata();
      await clients.create(client);
      expect(await clients.delete(client.client_id)).toBe(true);
      expect(await clients.find(client.client_id)).toBeNull();
      expect(await clients.delete(client.client_id)).toBe(false);
    });
  });

  describe('ConsentStore', () => {
    const ids = () => ({ accountId: randomUUID(), clientId: `client-${randomUUID()}` });

    test('find without consent is null', async () => {
      const { accountId, clientId } = ids();
      expect(await stores().consents.find(accountId, clientId)).toBeNull();
    });

    test('grant merges scopes without duplicates', async () => {
      const { consents } = stores();
      const { accountId, clientId } = ids();
      await consents.grant(accountId, clientId, ['openid', 'email']);
      expect([...(await consents.find(accountId, clientId))!].sort()).toEqual(['email', 'openid']);
      await consents.grant(accountId, clientId, ['profile', 'openid']);
      expect([...(await consents.find(accountId, clientId))!].sort()).toEqual(['email', 'openid', 'profile']);
    });

    test('consent is per account and client', async () => {
      const { consents } = stores();
      const { accountId, clientId } = ids();
      await consents.grant(accountId, clientId, ['openid']);
      expect(await consents.find(accountId, `other-${randomUUID()}`)).toBeNull();
      expect(await consents.find(randomUUID(), clientId)).toBeNull();
    });

    test('parallel first grants all land', async () => {
      const { consents } = stores();
      const { accountId, clientId } = ids();
      const scopes = ['openid', 'email', 'profile', 'address', 'phone', 'offline_access'];
      await Promise.all(scopes.map((scope) => consents.grant(accountId, clientId, [scope])));
      expect([...(await consents.find(accountId, clientId))!].sort()).toEqual([...scopes].sort());
    });

    test('revoke forgets the consent', async () => {
      const { consents } = stores();
      const { accountId, clientId } = ids();
      await consents.grant(accountId, clientId, ['openid']);
      await consents.revoke(accountId, clientId);
      expect(await consents.find(accountId, clientId)).toBeNull();
      await expect(consents.revoke(accountId, clientId)).resolves.toBeUndefined();
    });
  });

  describe('SecretStore', () => {
    test('find returns the stored value, or null before anything is stored', async () => {
      const { secrets } = stores();
      const name = `find-${randomUUID()}`;
      expect(await secrets.find(name)).toBeNull();
      await secrets.getOrCreate(name, 'stored');
      expect(await secrets.find(name)).toBe('stored');
    });

    test('getOrCreate stores the first candidate and returns it for every later one', async () => {
      const { secrets } = stores();
      const name = `secret-${randomUUID()}`;
      expect(await secrets.getOrCreate(name, 'first')).toBe('first');
      expect(await secrets.getOrCreate(name, 'second')).toBe('first');
      expect(await secrets.getOrCreate(name, 'third')).toBe('first');
    });

    test('secrets are separate by name', async () => {
      const { secrets } = stores();
      const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
      expect(await secrets.getOrCreate(a, 'value-a')).toBe('value-a');
      expect(await secrets.getOrCreate(b, 'value-b')).toBe('value-b');
    });

    test('20 parallel getOrCreate with different candidates all get one stored value', async () => {
      const { secrets } = stores();
      const name = `race-${randomUUID()}`;
      const candidates = Array.from({ length: 20 }, (_, i) => `candidate-${i}`);
      const values = await Promise.all(candidates.map((candidate) => secrets.getOrCreate(name, candidate)));
      expect(new Set(values).size).toBe(1);
      expect(candidates).toContain(values[0]);
      expect(await secrets.getOrCreate(name, 'late')).toBe(values[0]);
    });
  });
});
