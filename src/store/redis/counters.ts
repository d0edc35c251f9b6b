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

export function redisCounterStore(redis: RedisConnection, keyPrefix: string): CounterStore {
  const key = (name: string) => `${keyPrefix}counter:${name}`;
  return {
    async hit(name, nowMs, ttlMs) {
      const ttl = Math.max(1, Math.ceil(ttlMs));
      const [count, previous] = (await redis.run((c) =>
        HIT(c, [key(name)], [Math.floor(nowMs), Math.floor(nowMs) + ttl, ttl]),
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
  };
}
