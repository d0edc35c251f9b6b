import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

export type ScriptArg = string | number;

/**
 * A Lua script run by EVALSHA, falling back to EVAL once when the server has not cached it yet.
 * Every script touches exactly the keys it is given, and is given one key: on a Redis Cluster
 * a script runs on the master of its keys' slot, so a key built inside the script could live
 * on another master. Operations that span keys (an artifact and its indexes) are sequenced by
 * the caller instead (see oidc-artifacts.ts).
 */
export type RedisScript = (client: RedisClient, key: string, args: ScriptArg[]) => Promise<unknown>;

export function redisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (client, key, args) => {
    try {
      return await client.evalsha(sha, 1, key, ...args);
    } catch (error) {
      // Each cluster master has its own script cache: NOSCRIPT comes per node.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(lua, 1, key, ...args);
    }
  };
}
