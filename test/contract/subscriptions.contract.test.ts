import { randomInt, randomUUID } from 'node:crypto';
import { DuplicateError, type NewSubscription } from '../../src/store/ports.js';
import { describeBackends, longLivedBackends } from './backends.js';

const backends = await longLivedBackends();

const digits = (n: number) => Array.from({ length: n }, () => String(randomInt(10))).join('');

const newSubscription = (overrides: Partial<NewSubscription> = {}): NewSubscription => ({
  name: 'Acme Ltd',
  ownerAccountId: randomUUID(),
  customerNumber: `9${digits(7)}`,
  registrationId: `MBR${digits(10)}`,
  ...overrides,
});

describeBackends(backends, (stores) => {
  describe('SubscriptionStore', () => {
    test('create stores the subscription and its owner as the first member; every lookup finds it', async () => {
      const { subscriptions } = stores();
      const input = newSubscription();
      const before = Date.now();
      const created = await subscriptions.create(input);
      expect(created).toEqual({ id: expect.any(String), ...input, createdAt: expect.any(Number) });
      expect(created.createdAt).toBeGreaterThanOrEqual(before);
      expect(await subscriptions.find(created.id)).toEqual(created);
      expect(await subscriptions.findByCustomerNumber(input.customerNumber)).toEqual(created);
      expect(await subscriptions.findByRegistrationId(input.registrationId)).toEqual(created);
      expect(await subscriptions.findByRegistrationSuffix(input.registrationId.slice(-6))).toEqual([created]);
      expect(await subscriptions.members(created.id)).toEqual([
        { subscriptionId: created.id, accountId: input.ownerAccountId, role: 'owner', joinedAt: created.createdAt },
      ]);
      expect(await subscriptions.membershipsOf(input.ownerAccountId)).toEqual([
        { subscriptionId: created.id, accountId: input.ownerAccountId, role: 'owner', joinedAt: created.createdAt },
      ]);
      expect((await subscriptions.list()).map((s) => s.id)).toContain(created.id);
    });

    test('missing subscriptions are null or empty; lookups are exact', async () => {
      const { subscriptions } = stores();
      const created = await subscriptions.create(newSubscription());
      expect(await subscriptions.find(randomUUID())).toBeNull();
      expect(await subscriptions.findByCustomerNumber('00000000')).toBeNull();
      expect(await subscriptions.findByRegistrationId('MBR0000000000')).toBeNull();
      expect(await subscriptions.findByCustomerNumber(created.customerNumber.slice(1))).toBeNull();
      expect(await subscriptions.findByRegistrationId(created.registrationId.toLowerCase())).toBeNull();
      expect(await subscriptions.findByRegistrationSuffix(created.registrationId.slice(-5))).toEqual([]);
      expect(await subscriptions.members(randomUUID())).toEqual([]);
      expect(await subscriptions.findJoinRequest(randomUUID())).toBeNull();
    });

    test('customer numbers and registration ids are unique', async () => {
      const { subscriptions } = stores();
      const first = await subscriptions.create(newSubscription());
      await expect(subscriptions.create(newSubscription({ customerNumber: first.customerNumber }))).rejects.toBeInstanceOf(DuplicateError);
      await expect(subscriptions.create(newSubscription({ registrationId: first.registrationId }))).rejects.toBeInstanceOf(DuplicateError);
      expect((await subscriptions.list()).filter((s) => s.customerNumber === first.customerNumber)).toHaveLength(1);
    });

    test('a shared suffix finds every subscription that has it (ambiguous)', async () => {
      const { subscriptions } = stores();
      const suffix = digits(6);
      const a = await subscriptions.create(newSubscription({ registrationId: `MBR1111${suffix}` }));
      const b = await subscriptions.create(newSubscription({ registrationId: `MBR2222${suffix}` }));
      expect((await subscriptions.findByRegistrationSuffix(suffix)).map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
    });

    test('addMember adds once; memberships are listed per account', async () => {
      const { subscriptions } = stores();
      const sub = await subscriptions.create(newSubscription());
      const member = randomUUID();
      const joinedAt = sub.createdAt + 5000;
      expect(await subscriptions.addMember({ subscriptionId: sub.id, accountId: member, role: 'member' }, joinedAt)).toBe(true);
      expect(await subscriptions.addMember({ subscriptionId: sub.id, accountId: member, role: 'member' })).toBe(false);
      expect(await subscriptions.members(sub.id)).toEqual([
        { subscriptionId: sub.id, accountId: sub.ownerAccountId, role: 'owner', joinedAt: sub.createdAt },
        { subscriptionId: sub.id, accountId: member, role: 'member', joinedAt },
      ]);
      expect(await subscriptions.membershipsOf(member)).toEqual([{ subscriptionId: sub.id, accountId: member, role: 'member', joinedAt }]);
      // The owner cannot be added a second time either.
      expect(await subscriptions.addMember({ subscriptionId: sub.id, accountId: sub.ownerAccountId, role: 'member' })).toBe(false);
    });

    test('join requests: created pending, listed by requester and by subscription', async () => {
      const { subscriptions } = stores();
      const sub = await subscriptions.create(newSubscription());
      const requester = randomUUID();
      const request = await subscriptions.createJoinRequest({ subscriptionId: sub.id, requesterAccountId: requester }, 7000);
      expect(request).toEqual({ id: expect.any(String), subscriptionId: sub.id, requesterAccountId: requester, status: 'pending', createdAt: 7000, decidedAt: null });
      expect(await subscriptions.findJoinRequest(request.id)).toEqual(request);
      expect(await subscriptions.joinRequestsOf(requester)).toEqual([request]);
      expect(await subscriptions.joinRequestsFor(sub.id)).toEqual([request]);
    });

    test('decide moves pending to approved or declined once', async () => {
      const { subscriptions } = stores();
      const sub = await subscriptions.create(newSubscription());
      const a = await subscriptions.createJoinRequest({ subscriptionId: sub.id, requesterAccountId: randomUUID() });
      const b = await subscriptions.createJoinRequest({ subscriptionId: sub.id, requesterAccountId: randomUUID() });
      expect(await subscriptions.decide(a.id, 'approved', 9000)).toEqual({ ...a, status: 'approved', decidedAt: 9000 });
      expect(await subscriptions.decide(a.id, 'declined')).toBeNull();
      expect(await subscriptions.decide(a.id, 'approved')).toBeNull();
      expect(await subscriptions.findJoinRequest(a.id)).toEqual({ ...a, status: 'approved', decidedAt: 9000 });
      expect(await subscriptions.decide(b.id, 'declined', 9500)).toEqual({ ...b, status: 'declined', decidedAt: 9500 });
      expect(await subscriptions.decide(randomUUID(), 'approved')).toBeNull();
      await expect(subscriptions.decide(b.id, 'pending' as 'approved')).rejects.toThrow(TypeError);
    });

    test('concurrent decisions: exactly one caller decides', async () => {
      const { subscriptions } = stores();
      const sub = await subscriptions.create(newSubscription());
      const request = await subscriptions.createJoinRequest({ subscriptionId: sub.id, requesterAccountId: randomUUID() });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => subscriptions.decide(request.id, i % 2 === 0 ? 'approved' : 'declined')),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect((await subscriptions.findJoinRequest(request.id))?.status).toBe(winners[0]!.status);
    });
  });
});
