import { randomUUID } from 'node:crypto';
import type { BackupMethod } from '../../src/store/ports.js';
import { describeBackends, longLivedBackends } from './backends.js';

const backends = await longLivedBackends();
const T0 = 1_700_000_000_000;

const phone = (accountId: string, overrides: Partial<BackupMethod> = {}): BackupMethod => ({
  accountId,
  kind: 'phone',
  destination: '+447946000958',
  channel: 'sms',
  verifiedAt: T0,
  ...overrides,
});

describeBackends(backends, (stores) => {
  describe('BackupMethodStore', () => {
    test('set stores the method; get returns it; null without one', async () => {
      const { backupMethods } = stores();
      const accountId = randomUUID();
      expect(await backupMethods.get(accountId)).toBeNull();
      expect(await backupMethods.set(phone(accountId))).toBeNull();
      expect(await backupMethods.get(accountId)).toEqual(phone(accountId));
    });

    test('set replaces the previous method (phone ↔ email) and returns it', async () => {
      const { backupMethods } = stores();
      const accountId = randomUUID();
      await backupMethods.set(phone(accountId));
      const email: BackupMethod = { accountId, kind: 'email', destination: 'Backup@Example.org', channel: null, verifiedAt: T0 + 5 };
      expect(await backupMethods.set(email)).toEqual(phone(accountId));
      expect(await backupMethods.get(accountId)).toEqual(email);
      expect(await backupMethods.set(phone(accountId, { channel: 'voice', verifiedAt: T0 + 9 }))).toEqual(email);
      expect(await backupMethods.get(accountId)).toEqual(phone(accountId, { channel: 'voice', verifiedAt: T0 + 9 }));
    });

    test('methods are per account; remove returns what it removed', async () => {
      const { backupMethods } = stores();
      const a = randomUUID();
      const b = randomUUID();
      await backupMethods.set(phone(a));
      await backupMethods.set(phone(b, { destination: '+15555550123' }));
      expect(await backupMethods.remove(a)).toEqual(phone(a));
      expect(await backupMethods.remove(a)).toBeNull();
      expect(await backupMethods.get(a)).toBeNull();
      expect((await backupMethods.get(b))?.destination).toBe('+15555550123');
    });

    test('20 parallel sets: one method stands, and each set returned a method that was stored', async () => {
      const { backupMethods } = stores();
      const accountId = randomUUID();
      const numbers = Array.from({ length: 20 }, (_, i) => `+1555555${String(i).padStart(4, '0')}`);
      const previous = await Promise.all(numbers.map((destination) => backupMethods.set(phone(accountId, { destination }))));
      expect(previous.filter((p) => p === null)).toHaveLength(1);
      for (const p of previous) if (p) expect(numbers).toContain(p.destination);
      expect(numbers).toContain((await backupMethods.get(accountId))!.destination);
    });
  });

  describe('AuditStore', () => {
    const event = (accountId: string, type: string, at: number) => ({
      accountId,
      type,
      at,
      actor: 'user' as const,
      actorName: null,
      ip: '203.0.113.9',
      userAgent: 'Firefox',
      detail: `detail of ${type}`,
    });

    test('append returns the stored event with an id; list is newest first, per account, limited', async () => {
      const { audit } = stores();
      const accountId = randomUUID();
      const other = randomUUID();
      const first = await audit.append(event(accountId, 'signin.succeeded', T0));
      expect(first).toEqual({ ...event(accountId, 'signin.succeeded', T0), id: expect.any(String) });
      await audit.append(event(accountId, 'factor.added', T0 + 10));
      await audit.append(event(other, 'factor.added', T0 + 20));
      await audit.append({ ...event(accountId, '2fa.reset', T0 + 30), actor: 'support', actorName: 'Sam', ip: null, userAgent: null });
      const listed = await audit.listForAccount(accountId, 10);
      expect(listed.map((e) => e.type)).toEqual(['2fa.reset', 'factor.added', 'signin.succeeded']);
      expect(listed[0]).toMatchObject({ actor: 'support', actorName: 'Sam', ip: null, userAgent: null });
      expect(listed[2]).toEqual(first);
      expect((await audit.listForAccount(accountId, 2)).map((e) => e.type)).toEqual(['2fa.reset', 'factor.added']);
      expect(await audit.listForAccount(randomUUID(), 10)).toEqual([]);
    });

    test('events of the same millisecond list in reverse order of appending', async () => {
      const { audit } = stores();
      const accountId = randomUUID();
      for (const type of ['a', 'b', 'c']) await audit.append(event(accountId, type, T0));
      expect((await audit.listForAccount(accountId, 10)).map((e) => e.type)).toEqual(['c', 'b', 'a']);
    });

    test('50 parallel appends all land with distinct ids', async () => {
      const { audit } = stores();
      const accountId = randomUUID();
      const appended = await Promise.all(Array.from({ length: 50 }, (_, i) => audit.append(event(accountId, `e${i}`, T0 + i))));
      expect(new Set(appended.map((e) => e.id)).size).toBe(50);
      expect(await audit.listForAccount(accountId, 100)).toHaveLength(50);
    });
  });
});
