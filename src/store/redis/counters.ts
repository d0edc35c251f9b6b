import { assertCounterLimit } from '../counter-limit.js';
import type { CounterStore } from '../ports.js';
import type { RedisConnection } from './connection.js';
import { redisScript } from './script.js';

/*
 * A counter is a hash { count, lastHitAt, expiresAt }. Expiry is judged against the
 * caller's nowMs (as the SQLite adapter does, so an injected clock behaves the same on
 * both backends); PEXPIRE only reclaims the key.
 */

/** KEYS: counter. ARGV: nowMs, expiresAtMs, ttlMs. Returns { count, previousHitAt | nil }. */
const HIT = redisScript(`
local key, now = KEYS[1], tonumber(ARGV[1])
local current = redis.call('HMGET', key, 'count', 'lastHitAt', 'expiresAt')
local count, previous = 1, false
if current[3] and tonumber(current[3]) > now then
  count = tonumber(current[1]) + 1
  previous = current[2]
end
redis.call('HSET', key, 'count', count, 'lastHitAt', ARGV[1], 'expiresAt', ARGV[2])
redis.call('PEXPIRE', key, ARGV[3])
return { count, previous }
`);

/**
 * KEYS: counter. ARGV: nowMs, expiresAtMs, ttlMs, free, wait1Ms, wait2Ms, … (the last repeats).
 * Returns { 1, count } when counted, { 0, count, retryAt } when refused (nothing written).
 * The wait is computed as waitAfterCount() does (src/store/counter-limit.ts).
 */
const RESERVE = redisScript(`
local key, now, free = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[4])
local current = redis.call('HMGET', key, 'count', 'lastHitAt', 'expiresAt')
local count = 0
if current[3] and tonumber(current[3]) > now then count = tonumber(current[1]) end
if count > 0 and count >= free then
  local waits = #ARGV - 4
  local wait = tonumber(ARGV[4 + math.min(count - free + 1, waits)])
  local retryAt = tonumber(current[2]) + wait
  if wait > 0 and retryAt > now then return { 0, count, retryAt } end
end
redis.call('HSET', key, 'count', count + 1, 'lastHitAt', ARGV[1], 'expiresAt', ARGV[2])
redis.call('PEXPIRE', key, ARGV[3])
return { 1, count + 1 }
`);

/** KEYS: counter. ARGV: nowMs. Decrements a live, positive count; touches nothing else. */
const RELEASE = redisScript(`
local current = redis.call('HMGET', KEYS[1], 'count', 'expiresAt')
if current[1] and tonumber(current[2]) > tonumber(ARGV[1]) and tonumber(current[1]) > 0 then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 0
`);

export function redisCounterStore(redis: RedisConnection, keyPrefix: string): CounterStore {
  const key = (name: string) => `${keyPrefix}counter:${name}`;
  return {
    async hit(name, nowMs, ttlMs) {
      const ttl = Math.max(1, Math.ceil(ttlMs));
      const [count, previous] = (await redis.run((c) =>
        HIT(c, key(name), [Math.floor(nowMs), Math.floor(nowMs) + ttl, ttl]),
      )) as [number, string | null];
      return { count, previousHitAt: previous === null ? null : Number(previous) };
    },
    async peek(name, nowMs = Date.now()) {
      const [count, expiresAt] = await redis.run((c) => c.hmget(key(name), 'count', 'expiresAt'));
      return count !== null && Number(expiresAt) > nowMs ? Number(count) : 0;
    },
    async reset(name) {
      await redis.run((c) => c.del(key(name)));
    },
    async reserve(name, nowMs, limit) {
      assertCounterLimit(limit);
      const now = Math.floor(nowMs);
      const [ok, count, retryAt] = (await redis.run((c) =>
        RESERVE(c, key(name), [now, now + limit.ttlMs, limit.ttlMs, limit.free, ...limit.waitsMs]),
      )) as [number, number, number?];
      return ok === 1 ? { ok: true, count } : { ok: false, count, retryAt: Number(retryAt) };
    },
    async release(name, nowMs) {
      await redis.run((c) => RELEASE(c, key(name), [Math.floor(nowMs)]));
    },
  };
}
