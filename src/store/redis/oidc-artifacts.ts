import type { OidcArtifactStore, OidcModelStore, OidcPayload } from '../ports.js';
import type { RedisConnection } from './connection.js';
import { redisScript } from './script.js';
import { cachedModels } from '../model-cache.js';

/*
 * Layout, per model, under base = <prefix>oidc:<model>:
 *   base id:<id>            hash { payload: JSON, consumed?, grantId?, uid?, userCode? }, TTL = expiresIn
 *   base uid:<uid>          string id, same TTL
 *   base userCode:<code>    string id, same TTL
 *   base grant:<grantId>    set of ids, TTL >= its longest-lived member
 *
 * Cluster-safe by construction: every script is given the one key it touches. The four keys
 * of one artifact are found by four different values (id, uid, user code, grant id), so no
 * hash tag could put them in one slot and still let each be found by its own value; they
 * are kept consistent by ordering instead:
 *
 * - The artifact hash is the truth; uid/userCode index entries are hints. A lookup through
 *   an index reads the artifact and accepts it only when it still carries that uid/userCode,
 *   so an index entry left behind (a failed clean-up, a race with destroy) finds nothing.
 * - Grant sets must never miss a member that revokeByGrantId should delete. upsert writes
 *   the artifact first and adds it to its grant set second; revokeByGrantId reads the set,
 *   deletes the members it read (each only while it still names that grant), and then
 *   removes exactly those members from the set. An upsert racing a revocation thus either
 *   lands in the set before it is read (and is deleted) or after (and survives, as it would
 *   had it run after the revocation); a revocation that fails halfway leaves the set intact
 *   for the next one. An upsert that fails between the two writes rejects (503), so the
 *   artifact it wrote was never handed out.
 *
 * `consumed` lives in its own hash field rather than inside the JSON: marking it from Lua
 * would mean a cjson decode/encode round trip, which turns empty arrays into objects and
 * rounds numbers to 14 digits. The index values are kept in the hash so that destroy and
 * re-upsert can remove exactly the index entries the previous version created. Key names
 * are those of the single-node layout before cluster support, so an upgrade keeps the
 * sessions and tokens already stored.
 */

/**
 * KEYS: artifact. ARGV: payload, ttlMs (0 = none), consumed, grantId, uid, userCode ('' = none).
 * Replaces the artifact; returns the grantId, uid and userCode of the version it replaced.
 */
const WRITE = redisScript(`
local key = KEYS[1]
local old = redis.call('HMGET', key, 'grantId', 'uid', 'userCode')
redis.call('DEL', key)
local fields = { 'payload', ARGV[1] }
local names = { 'consumed', 'grantId', 'uid', 'userCode' }
for i, name in ipairs(names) do
  if ARGV[i + 2] ~= '' then table.insert(fields, name); table.insert(fields, ARGV[i + 2]) end
end
redis.call('HSET', key, unpack(fields))
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
return old
`);

/** KEYS: artifact. ARGV: grantId ('' = any). Deletes it (only while it names that grant); returns its old grantId, uid, userCode, or nil. */
const DELETE = redisScript(`
local old = redis.call('HMGET', KEYS[1], 'grantId', 'uid', 'userCode')
if ARGV[1] ~= '' and old[1] ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return old
`);

/** KEYS: grant set. ARGV: id, ttlMs (0 = none). Adds the id; the set lives at least as long as its longest-lived member. */
const GRANT_ADD = redisScript(`
local gkey, ttl = KEYS[1], tonumber(ARGV[2])
local existed = redis.call('EXISTS', gkey)
redis.call('SADD', gkey, ARGV[1])
-- EXPIRE GT would never shorten, but treats a new (persistent) set as infinite: compare here.
if ttl <= 0 then
  redis.call('PERSIST', gkey)
elseif existed == 0 then
  redis.call('PEXPIRE', gkey, ttl)
else
  local current = redis.call('PTTL', gkey)
  if current >= 0 and current < ttl then redis.call('PEXPIRE', gkey, ttl) end
end
return 1
`);

/** KEYS: uid or userCode index. ARGV: id. Drops the entry only while it still points at this id. */
const UNINDEX = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

/** KEYS: artifact. ARGV: consumed (epoch s). 1 for the one caller that marked it, 0 otherwise; the TTL is kept. */
const CONSUME = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])
`);

/** [grantId, uid, userCode] of an artifact as stored (nil fields absent). */
type Links = [grantId: string | null, uid: string | null, userCode: string | null];
type Stored = [payload: string | null, consumed: string | null, ...rest: (string | null)[]];

function toPayload(stored: Stored | null): OidcPayload | undefined {
  if (!stored || stored[0] === null) return undefined;
  const payload = JSON.parse(stored[0]) as OidcPayload;
  return stored[1] === null ? payload : { ...payload, consumed: Number(stored[1]) };
}

function ttlMs(expiresInSeconds: number | undefined): number {
  return expiresInSeconds && expiresInSeconds > 0 ? Math.ceil(expiresInSeconds * 1000) : 0;
}

export function redisOidcArtifactStore(redis: RedisConnection, keyPrefix: string): OidcArtifactStore {
  const model = (name: string): OidcModelStore => {
    const base = `${keyPrefix}oidc:${name}:`;
    const key = (id: string) => `${base}id:${id}`;
    const indexKey = (kind: 'uid' | 'userCode', value: string) => `${base}${kind}:${value}`;
    const grantKey = (grantId: string) => `${base}grant:${grantId}`;

    /** Removes what `old` (a replaced or deleted version) linked to `id`, except the links `keep` still has. */
    const unlink = (id: string, old: Links | null, keep: Partial<Record<'grantId' | 'uid' | 'userCode', string>> = {}) => {
      if (!old) return Promise.resolve();
      const [grantId, uid, userCode] = old;
      const work: Promise<unknown>[] = [];
      if (grantId && grantId !== keep.grantId) work.push(redis.run((c) => c.srem(grantKey(grantId), id)));
      if (uid && uid !== keep.uid) work.push(redis.run((c) => UNINDEX(c, indexKey('uid', uid), [id])));
      if (userCode && userCode !== keep.userCode) work.push(redis.run((c) => UNINDEX(c, indexKey('userCode', userCode), [id])));
      return Promise.all(work);
    };

    const findByIndex = async (kind: 'uid' | 'userCode', value: string) => {
      const id = await redis.run((c) => c.get(indexKey(kind, value)));
      if (id === null) return undefined;
      const stored = (await redis.run((c) => c.hmget(key(id), 'payload', 'consumed', kind))) as Stored;
      // The index is a hint: the artifact must still carry the value it was found by.
      return stored[2] === value ? toPayload(stored) : undefined;
    };

    return {
      async upsert(id, payload, expiresInSeconds) {
        // A payload re-saved after consumption keeps its consumed mark (and stays unconsumable).
        const consumed = typeof payload.consumed === 'number' ? String(payload.consumed) : '';
        const ttl = ttlMs(expiresInSeconds);
        const { grantId = '', uid = '', userCode = '' } = payload;
        const old = (await redis.run((c) => WRITE(c, key(id), [JSON.stringify(payload), ttl, consumed, grantId, uid, userCode]))) as Links;
        // Only after the artifact exists (see the layout notes): its grant set and indexes.
        const set = (kind: 'uid' | 'userCode', value: string) =>
          redis.run((c) => (ttl > 0 ? c.set(indexKey(kind, value), id, 'PX', ttl) : c.set(indexKey(kind, value), id)));
        await Promise.all([
          grantId ? redis.run((c) => GRANT_ADD(c, grantKey(grantId), [id, ttl])) : undefined,
          uid ? set('uid', uid) : undefined,
          userCode ? set('userCode', userCode) : undefined,
          unlink(id, old, { grantId, uid, userCode }),
        ]);
      },
      async find(id) {
        return redis.run(async (c) => toPayload((await c.hmget(key(id), 'payload', 'consumed')) as Stored));
      },
      findByUid: (uid) => findByIndex('uid', uid),
      findByUserCode: (userCode) => findByIndex('userCode', userCode),
      async consume(id) {
        const consumed = Math.floor(Date.now() / 1000);
        return redis.run(async (c) => (await CONSUME(c, key(id), [consumed])) === 1);
      },
      async destroy(id) {
        const old = (await redis.run((c) => DELETE(c, key(id), ['']))) as Links | null;
        await unlink(id, old);
      },
      async revokeByGrantId(grantId) {
        const set = grantKey(grantId);
        const ids = await redis.run((c) => c.smembers(set));
        if (ids.length === 0) return;
        await Promise.all(
          ids.map(async (id) => {
            // A member re-upserted under another grant has already left this set; this guards id reuse.
            const old = (await redis.run((c) => DELETE(c, key(id), [grantId]))) as Links | null;
            await unlink(id, old, { grantId });
          }),
        );
        // Exactly the members deleted above: one added meanwhile (an upsert racing this) stays.
        await redis.run((c) => c.srem(set, ...ids));
      },
    };
  };

  return cachedModels(model);
}
