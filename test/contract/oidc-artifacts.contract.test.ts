import { randomUUID } from 'node:crypto';
import type { OidcModelStore } from '../../src/store/ports.js';
import { describeBackends, shortLivedBackends, sleep } from './backends.js';

const backends = await shortLivedBackends();

/** Short enough to keep the suite fast, long enough for a few round trips before it ends. */
const SHORT_TTL_S = 1;
const PAST_SHORT_TTL_MS = 1_300;

const newId = () => randomUUID();

describeBackends(backends, (stores) => {
  // A fresh model name per test keeps tests independent on a shared store.
  const model = (name = 'AccessToken'): OidcModelStore => stores().oidc.model(`${name}-${randomUUID()}`);

  describe('OidcArtifactStore', () => {
    test('upsert then find returns the payload as stored', async () => {
      const store = model();
      const id = newId();
      const payload = {
        accountId: 'acc-1',
        scope: 'openid email',
        claims: { id_token: { email: null } },
        rejected: [],
        extra: {},
        exp: 1_900_000_000,
        ratio: 0.1234567890123,
        kind: 'AccessToken',
        nested: [{ a: [1, 2, []] }],
      };
      await store.upsert(id, payload, 60);
      expect(await store.find(id)).toEqual(payload);
    });

    test('find of a missing id resolves undefined', async () => {
      const store = model();
      expect(await store.find(newId())).toBeUndefined();
      expect(await store.findByUid(newId())).toBeUndefined();
      expect(await store.findByUserCode('NOPE-NOPE')).toBeUndefined();
    });

    test('upsert replaces the previous payload of the same id', async () => {
      const store = model();
      const id = newId();
      await store.upsert(id, { v: 1, keep: true }, 60);
      await store.upsert(id, { v: 2 }, 60);
      expect(await store.find(id)).toEqual({ v: 2 });
    });

    test('models are separate namespaces', async () => {
      const a = model('Session');
      const b = model('Interaction');
      const id = newId();
      await a.upsert(id, { in: 'a' }, 60);
      expect(await b.find(id)).toBeUndefined();
    });

    test('an artifact is gone once expiresIn has passed, with its uid and userCode lookups', async () => {
      const store = model('DeviceCode');
      const id = newId();
      const uid = newId();
      const userCode = `EXP-${randomUUID().slice(0, 8)}`;
      await store.upsert(id, { uid, userCode }, SHORT_TTL_S);
      await store.upsert(`${id}-lasting`, { kept: true }, 60);
      expect(await store.find(id)).toBeDefined();
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.find(id)).toBeUndefined();
      expect(await store.findByUid(uid)).toBeUndefined();
      expect(await store.findByUserCode(userCode)).toBeUndefined();
      expect(await store.consume(id)).toBe(false);
      expect(await store.find(`${id}-lasting`)).toEqual({ kept: true });
    });

    test('an artifact without expiresIn does not expire', async () => {
      const store = model();
      const id = newId();
      await store.upsert(id, { forever: true }, undefined);
      await sleep(50);
      expect(await store.find(id)).toEqual({ forever: true });
    });

    test('findByUid and findByUserCode find the artifact that carries them', async () => {
      const store = model('DeviceCode');
      const id = newId();
      const uid = newId();
      const userCode = `UC-${randomUUID().slice(0, 8)}`;
      const payload = { uid, userCode, params: { client_id: 'c1' } };
      await store.upsert(id, payload, 60);
      await store.upsert(newId(), { uid: newId(), userCode: 'OTHER-CODE' }, 60);
      expect(await store.findByUid(uid)).toEqual(payload);
      expect(await store.findByUserCode(userCode)).toEqual(payload);
    });

    test('re-upserting with a new uid moves the uid lookup', async () => {
      const store = model('Session');
      const id = newId();
      const [oldUid, newUid] = [newId(), newId()];
      await store.upsert(id, { uid: oldUid }, 60);
      await store.upsert(id, { uid: newUid }, 60);
      expect(await store.findByUid(oldUid)).toBeUndefined();
      expect(await store.findByUid(newUid)).toEqual({ uid: newUid });
    });

    test('destroy removes the artifact and its lookups, and leaves others', async () => {
      const store = model('Session');
      const id = newId();
      const other = newId();
      const uid = newId();
      await store.upsert(id, { uid, grantId: 'g' }, 60);
      await store.upsert(other, { n: 2 }, 60);
      await store.destroy(id);
      expect(await store.find(id)).toBeUndefined();
      expect(await store.findByUid(uid)).toBeUndefined();
      expect(await store.find(other)).toEqual({ n: 2 });
      await expect(store.destroy(newId())).resolves.toBeUndefined();
    });

    describe('consume', () => {
      test('marks the artifact consumed (epoch seconds) and is idempotent', async () => {
        const store = model('AuthorizationCode');
        const id = newId();
        await store.upsert(id, { accountId: 'a' }, 60);
        expect((await store.find(id))?.consumed).toBeUndefined();
        const before = Math.floor(Date.now() / 1000);
        expect(await store.consume(id)).toBe(true);
        const after = Math.ceil(Date.now() / 1000);
        const found = await store.find(id);
        expect(found).toMatchObject({ accountId: 'a' });
        expect(found?.consumed).toBeGreaterThanOrEqual(before);
        expect(found?.consumed).toBeLessThanOrEqual(after);
        expect(await store.consume(id)).toBe(false);
        expect((await store.find(id))?.consumed).toBe(found?.consumed);
      });

      test('returns false for a missing id and does not create it', async () => {
        const store = model('AuthorizationCode');
        const id = newId();
        expect(await store.consume(id)).toBe(false);
        expect(await store.find(id)).toBeUndefined();
      });

      test('keeps the expiry of the artifact', async () => {
        const store = model('AuthorizationCode');
        const id = newId();
        await store.upsert(id, {}, SHORT_TTL_S);
        expect(await store.consume(id)).toBe(true);
        await sleep(PAST_SHORT_TTL_MS);
        expect(await store.find(id)).toBeUndefined();
      });

      test('is visible through findByUid and findByUserCode', async () => {
        const store = model('DeviceCode');
        const id = newId();
        const uid = newId();
        const userCode = `C-${randomUUID().slice(0, 8)}`;
        await store.upsert(id, { uid, userCode }, 60);
        await store.consume(id);
        expect((await store.findByUid(uid))?.consumed).toEqual(expect.any(Number));
        expect((await store.findByUserCode(userCode))?.consumed).toEqual(expect.any(Number));
      });

      test('a payload re-saved with its consumed mark stays consumed', async () => {
        const store = model('DeviceCode');
        const id = newId();
        await store.upsert(id, { n: 1 }, 60);
        await store.consume(id);
        const consumed = await store.find(id);
        await store.upsert(id, { ...consumed, n: 2 }, 60);
        expect(await store.find(id)).toEqual({ n: 2, consumed: consumed?.consumed });
        expect(await store.consume(id)).toBe(false);
      });

      test('50 parallel consumes of one artifact: exactly one wins', async () => {
        const store = model('RefreshToken');
        const id = newId();
        await store.upsert(id, { grantId: 'g' }, 60);
        const results = await Promise.all(Array.from({ length: 50 }, () => store.consume(id)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('revokeByGrantId', () => {
      test("removes every artifact of the grant and leaves other grants' alone", async () => {
        const store = model('RefreshToken');
        const [grant, otherGrant] = [newId(), newId()];
        const ids = [newId(), newId(), newId()];
        const uid = newId();
        await store.upsert(ids[0]!, { grantId: grant, uid }, 60);
        await store.upsert(ids[1]!, { grantId: grant }, 120);
        await store.upsert(ids[2]!, { grantId: grant }, undefined);
        const kept = newId();
        await store.upsert(kept, { grantId: otherGrant }, 60);
        const loose = newId();
        await store.upsert(loose, { noGrant: true }, 60);

        await store.revokeByGrantId(grant);

        for (const id of ids) expect(await store.find(id)).toBeUndefined();
        expect(await store.findByUid(uid)).toBeUndefined();
        expect(await store.find(kept)).toEqual({ grantId: otherGrant });
        expect(await store.find(loose)).toEqual({ noGrant: true });
      });

      test("only touches this model's artifacts", async () => {
        const suffix = randomUUID();
        const tokens = stores().oidc.model(`AccessToken-${suffix}`);
        const codes = stores().oidc.model(`AuthorizationCode-${suffix}`);
        const grant = newId();
        const [token, code] = [newId(), newId()];
        await tokens.upsert(token, { grantId: grant }, 60);
        await codes.upsert(code, { grantId: grant }, 60);
        await tokens.revokeByGrantId(grant);
        expect(await tokens.find(token)).toBeUndefined();
        expect(await codes.find(code)).toEqual({ grantId: grant });
      });

      test('still reaches long-lived artifacts after shorter-lived ones of the grant expired', async () => {
        const store = model('RefreshToken');
        const grant = newId();
        const [longFirst, short, longAfter, forever] = [newId(), newId(), newId(), newId()];
        await store.upsert(longFirst, { grantId: grant }, 60);
        await store.upsert(short, { grantId: grant }, SHORT_TTL_S);
        await sleep(PAST_SHORT_TTL_MS);
        await store.upsert(longAfter, { grantId: grant }, 60);

        const otherGrant = newId();
        await store.upsert(forever, { grantId: otherGrant }, undefined);
        await store.upsert(short, { grantId: otherGrant }, SHORT_TTL_S);
        await sleep(PAST_SHORT_TTL_MS);

        await store.revokeByGrantId(grant);
        await store.revokeByGrantId(otherGrant);
        expect(await store.find(longFirst)).toBeUndefined();
        expect(await store.find(longAfter)).toBeUndefined();
        expect(await store.find(forever)).toBeUndefined();
      });

      test('an artifact moved to another grant follows it', async () => {
        const store = model('Session');
        const [first, second] = [newId(), newId()];
        const id = newId();
        await store.upsert(id, { grantId: first }, 60);
        await store.upsert(id, { grantId: second }, 60);
        await store.revokeByGrantId(first);
        expect(await store.find(id)).toEqual({ grantId: second });
        await store.revokeByGrantId(second);
        expect(await store.find(id)).toBeUndefined();
      });

      test('a grant with nothing stored is a no-op', async () => {
        await expect(model().revokeByGrantId(newId())).resolves.toBeUndefined();
      });

      test('artifacts saved while their grant is being revoked are gone, or caught by the next revocation', async () => {
        // On a cluster an artifact and its grant index live on different masters and are
        // written one after the other: no interleaving may leave an artifact unrevocable.
        const store = model('RefreshToken');
        const grantId = newId();
        const ids = Array.from({ length: 40 }, newId);
        await Promise.all([
          ...ids.map((id) => store.upsert(id, { grantId }, 60)),
          store.revokeByGrantId(grantId),
          store.revokeByGrantId(grantId),
        ]);
        await store.revokeByGrantId(grantId);
        expect(await Promise.all(ids.map((id) => store.find(id)))).toEqual(ids.map(() => undefined));
      });

      test('a uid or user code index left pointing at a re-saved artifact finds nothing', async () => {
        const store = model('DeviceCode');
        const id = newId();
        await store.upsert(id, { uid: 'u-old', userCode: 'OLD-CODE' }, 60);
        await store.upsert(id, { uid: 'u-new', userCode: 'NEW-CODE' }, 60);
        expect(await store.findByUid('u-old')).toBeUndefined();
        expect(await store.findByUserCode('OLD-CODE')).toBeUndefined();
        expect(await store.findByUserCode('NEW-CODE')).toEqual({ uid: 'u-new', userCode: 'NEW-CODE' });
      });
    });
  });
});
