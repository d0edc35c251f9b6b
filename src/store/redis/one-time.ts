import { assertDigest, nowOf, ttlOf } from '../one-time-args.js';
import type { OneTimeStore } from '../ports.js';
import type { RedisConnection } from './connection.js';
import { redisScript } from './script.js';

/*
 * A value is a hash { digest?, expiresAt } under <prefix>onetime:<key>; a claim has no
 * digest. Expiry is judged against the caller's nowMs (as on SQLite, so injected clocks
 * behave the same on both backends); PEXPIRE only reclaims the key.
 */

/** KEYS: value. ARGV: digest, expiresAtMs, ttlMs. Replaces whatever was there. */
const PUT = redisScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'expiresAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

/**
 * KEYS: value. ARGV: digest, nowMs. 1 when a live digest equals ARGV[1] (and it is deleted), 0 otherwise.
 * Plain equality: Redis Lua has no constant-time compare, and none is needed here: the digest
 * is a keyed hash, so an attacker cannot compute the digest of a guess, and learning how
 * many leading bytes matched tells them nothing about the code.
 */
const TAKE = redisScript(`
local stored = redis.call('HMGET', KEYS[1], 'digest', 'expiresAt')
if not stored[1] or not stored[2] or tonumber(stored[2]) <= tonumber(ARGV[2]) then return 0 end
if stored[1] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/** KEYS: value. ARGV: nowMs, expiresAtMs, ttlMs. 1 when nothing live was there and the claim is now stored. */
const CLAIM = redisScript(`
local expiresAt = redis.call('HGET', KEYS[1], 'expiresAt')
if expiresAt and tonumber(expiresAt) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

export function redisOneTimeStore(redis: RedisConnection, keyPrefix: string): OneTimeStore {
  const key = (name: string) => `${keyPrefix}onetime:${name}`;
  return {
    async put(name, digest, ttlMs, nowMs) {
      assertDigest(digest);
      const ttl = ttlOf(ttlMs);
      await redis.run((c) => PUT(c, key(name), [digest, nowOf(nowMs) + ttl, ttl]));
    },
    async take(name, digest, nowMs) {
      assertDigest(digest);
      return redis.run(async (c) => (await TAKE(c, key(name), [digest, nowOf(nowMs)])) === 1);
    },
    async peek(name, digest, nowMs) {
      assertDigest(digest);
      const [stored, expiresAt] = await redis.run((c) => c.hmget(key(name), 'digest', 'expiresAt'));
      return stored === digest && expiresAt !== null && Number(expiresAt) > nowOf(nowMs);
    },
    async claim(name, ttlMs, nowMs) {
      const ttl = ttlOf(ttlMs);
      const now = nowOf(nowMs);
      return redis.run(async (c) => (await CLAIM(c, key(name), [now, now + ttl, ttl])) === 1);
    },
    async delete(name) {
      await redis.run((c) => c.del(key(name)));
    },
  };
}
