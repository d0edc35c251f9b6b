// Helpers shared by the bench scripts (scripts/bench.js, scripts/bench-ab.js): how `npm start`
// runs Latchkey, reading a child's CPU time, the order of the sides by round, the IPC replies
// of scripts/bench-server.js (and its refresh-token minting), and removing a run's Redis keys.

import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What package.json's start script puts around `node`: its node flags (the V8 heap settings)
 * and the environment it sets before `node` (MALLOC_ARENA_MAX). Latchkey's bench servers run
 * with both, as deployed.
 */
export function startSettings(root) {
  const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
  const flags = script.match(/--[\w-]+(=\S+)?/g) ?? [];
  const env = Object.fromEntries([...script.split(/\bnode\b/)[0].matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1], m[2]]));
  return { flags, env };
}

/** A process's or one of its threads' CPU time so far (user + system), in ms, from a /proc stat file (clock ticks of 10 ms). */
function statCpuMs(path) {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** The process's CPU time so far (every thread), in ms. */
export const cpuMs = (pid) => statCpuMs(`/proc/${pid}/stat`);

/**
 * The CPU time so far of the process's main thread (the event loop: JavaScript, and the
 * system calls it makes), in ms: a process's argon2id runs on libuv's pool threads, and
 * V8's GC and compiler helpers on threads of their own.
 */
export const mainThreadCpuMs = (pid) => statCpuMs(`/proc/${pid}/task/${pid}/stat`);

/** The median of the finite values (NaN when there are none). */
export function median(xs) {
  const sorted = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The sides' indices in the order they go in `round`: 0, 1, … in even rounds, reversed in odd ones. */
export function roundOrder(sides, round) {
  const order = Array.from({ length: sides }, (_, i) => i);
  return round % 2 === 1 ? order.reverse() : order;
}

export const basicAuth = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The next IPC message of `type` from a bench-server child; rejects on its 'error' message or its exit. */
export function waitFor(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.type === type) {
        cleanup();
        resolve(message);
      } else if (message.type === 'error') {
        cleanup();
        reject(new Error(`server: ${message.message}`));
      }
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`server exited (${code}) before '${type}'`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** `n` single-use refresh tokens minted in a bench-server child with the provider's own models. */
export async function mintRefreshTokens(child, n) {
  const reply = waitFor(child, 'minted');
  child.send({ type: 'mint', n });
  return (await reply).tokens;
}

/**
 * A scripts/bench-server.js child (`server`: its path, the project's or bare's copy) on `store`
 * with a fresh data directory or Redis key prefix, pinned to `cpu`, once it is ready; `stop()`
 * ends it and removes what it stored. Its stderr goes to this process's.
 */
export async function startBenchServer({ server, impl, store, name, cpu, flags = [], env = {}, redisUrl, clusterNodes = '' }) {
  const dataDir = store === 'file' ? mkdtempSync(join(tmpdir(), 'latchkey-bench-')) : '-';
  const prefix = `latchkey-bench-${Date.now()}-${name}:`;
  const child = fork(server, [impl, store, dataDir, prefix], {
    execArgv: flags,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'silent', BENCH_REDIS_URL: redisUrl, BENCH_REDIS_CLUSTER_NODES: clusterNodes, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  execFileSync('taskset', ['-a', '-p', '-c', cpu, String(child.pid)], { stdio: 'ignore' });
  const ready = await waitFor(child, 'ready');
  return {
    child,
    ready,
    async stop() {
      const exited = new Promise((done) => child.once('exit', done));
      if (child.connected) child.send({ type: 'stop' });
      await exited;
      if (dataDir !== '-') rmSync(dataDir, { recursive: true, force: true });
      if (store === 'redis') await deleteRedisKeys(redisUrl, prefix);
    },
  };
}

/** Unlinks every key under `prefix`; returns how many were deleted and how many a last scan still found. */
export async function deleteRedisKeys(redisUrl, prefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    const [, left] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 100000);
    return { deleted, left: left.length };
  } finally {
    redis.disconnect();
  }
}
