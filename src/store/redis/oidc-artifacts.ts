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
 * `consumed` lives in its own hash field rather than inside the JSON: marking it from Lua
 * would mean a cjson decode/encode round trip, which turns empty arrays into objects and
 * rounds numbers to 14 digits. The index values are kept in the hash so that destroy and
 * re-upsert can remove exactly the index entries the previous version created.
 */

/** Shared Lua helpers: drop a uid/userCode index entry only while it still points at this id. */
const PRELUDE = `
local function unindex(base, kind, value, id)
  if value then
    local ikey = base .. kind .. ':' .. value
    if redis.call('GET', ikey) == id then redis.call('DEL', ikey) end
  end
end
local function forget(base, key, id)
  local old = redis.call('HMGET', key, 'grantId', 'uid', 'userCode')
  if old[1] then redis.call('SREM', base .. 'grant:' .. old[1], id) end
  unindex(base, 'uid', old[2], id)
  unindex(base, 'userCode', old[3], id)
  redis.call('DEL', key)
end
`;

/** KEYS: artifact. ARGV: base, id, payload, ttlMs (0 = none), consumed, grantId, uid, userCode ('' = none). */
const UPSERT = redisScript(`${PRELUDE}
local key = KEYS[1]
local base, id, payload, ttl, consumed = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local grantId, uid, userCode = ARGV[6], ARGV[7], ARGV[8]
forget(base, key, id)
local fields = { 'payload', payload }
if consumed ~= '' then table.insert(fields, 'consumed'); table.insert(fields, consumed) end
if grantId ~= '' then table.insert(fields, 'grantId'); table.insert(fields, grantId) end
if uid ~= '' then table.insert(fields, 'uid'); table.insert(fields, uid) end
if userCode ~= '' then table.insert(fields, 'userCode'); table.insert(fields, userCode) end
redis.call('HSET', key, unpack(fields))
if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
local function index(kind, value)
  if value == '' then return end
  local ikey = base .. kind .. ':' .. value
  if ttl > 0 then redis.call('SET', ikey, id, 'PX', ttl) else redis.call('SET', ikey, id) end
end
index('uid', uid)
index('userCode', userCode)
if grantId ~= '' then
  local gkey = base .. 'grant:' .. grantId
  local existed = redis.call('EXISTS', gkey)
  redis.call('SADD', gkey, id)
  -- EXPIRE GT would never shorten, but treats a new (persistent) set as infinite: compare here.
  if ttl <= 0 then
    redis.call('PERSIST', gkey)
  elseif existed == 0 then
    redis.call('PEXPIRE', gkey, ttl)
  else
    local current = redis.call('PTTL', gkey)
    if current >= 0 and current < ttl then redis.call('PEXPIRE', gkey, ttl) end
  end
end
return 1
`);

/** KEYS: artifact. ARGV: consumed (epoch s). 1 for the one caller that marked it, 0 otherwise; the TTL is kept. */
const CONSUME = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])
`);

/** KEYS: uid or userCode index. ARGV: base. The artifact's payload and consumed, or nil. */
const FIND_BY_INDEX = redisScript(`
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('HMGET', ARGV[1] .. 'id:' .. id, 'payload', 'consumed')
`);

/** KEYS: artifact. ARGV: base, id. */
const DESTROY = redisScript(`${PRELUDE}
forget(ARGV[1], KEYS[1], ARGV[2])
return 1
`);

/** KEYS: grant set. ARGV: base, grantId. */
const REVOKE = redisScript(`${PRELUDE}
local base, grantId = ARGV[1], ARGV[2]
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = base .. 'id:' .. id
  -- A member re-upserted under another grant has already left this set; this guards id reuse.
  local owner = redis.call('HGET', key, 'grantId')
  if owner == grantId then forget(base, key, id) end
end
redis.call('DEL', KEYS[1])
return 1
`);

type Stored = [payload: string | null, consumed: string | null] | null;

function toPayload(stored: Stored): OidcPayload | undefined {
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
    const findByIndex = (kind: 'uid' | 'userCode', value: string) =>
      redis.run(async (c) => toPayload((await FIND_BY_INDEX(c, [`${base}${kind}:${value}`], [base])) as Stored));

    return {
      async upsert(id, payload, expiresInSeconds) {
        // A payload re-saved after consumption keeps its consumed mark (and stays unconsumable).
        const consumed = typeof payload.consumed === 'number' ? String(payload.consumed) : '';
        await redis.run((c) =>
          UPSERT(
            c,
            [key(id)],
            [
              base,
              id,
              JSON.stringify(payload),
              ttlMs(expiresInSeconds),
              consumed,
              payload.grantId ?? '',
              payload.uid ?? '',
              payload.userCode ?? '',
            ],
          ),
        );
      },
      async find(id) {
        return redis.run(async (c) => toPayload((await c.hmget(key(id), 'payload', 'consumed')) as Stored));
      },
      findByUid: (uid) => findByIndex('uid', uid),
      findByUserCode: (userCode) => findByIndex('userCode', userCode),
      async consume(id) {
        const consumed = Math.floor(Date.now() / 1000);
        return redis.run(async (c) => (await CONSUME(c, [key(id)], [consumed])) === 1);
      },
      async destroy(id) {
        await redis.run((c) => DESTROY(c, [key(id)], [base, id]));
      },
      async revokeByGrantId(grantId) {
        await redis.run((c) => REVOKE(c, [`${base}grant:${grantId}`], [base, grantId]));
      },
    };
  };

  return cachedModels(model);
}
