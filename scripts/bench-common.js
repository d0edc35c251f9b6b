// Helpers shared by the bench scripts (scripts/bench.js, bench-ab.js, bench-login-phases.js, bench-login-ab.js):
// how `npm start` runs Latchkey, reading a child's CPU time (and its main thread's), the order
// of the sides by round, starting and stopping a scripts/bench-server.js child (and its IPC
// replies, refresh-token minting), a simulated browser's cookies and CSRF token, a whole
// sign-in through a bench server, removing a run's Redis keys, and the code an authenticator
// app shows.

import { execFileSync, fork } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
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
 * system calls it makes), in ms. V8's GC and compiler helpers run on threads of their own,
 * and so does argon2id on libuv's pool, except Latchkey's on one usable core (as in the
 * benches), which runs on the event loop.
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

/**
 * Keeps a response's Set-Cookie values in `jar` (a plain object, one simulated browser; paths
 * ignored: the servers ignore cookies they do not expect); an emptied or expired cookie is dropped.
 */
export function keepCookies(jar, setCookies) {
  for (const value of setCookies) {
    const [pair, ...attributes] = value.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const cookie = pair.slice(eq + 1).trim();
    if (!cookie || attributes.some((a) => /^\s*expires=.*1970/i.test(a))) delete jar[name];
    else jar[name] = cookie;
  }
}

/** The Cookie header of the browser whose jar this is. */
export const cookieHeader = (jar) => Object.entries(jar).map(([n, v]) => `${n}=${v}`).join('; ');

/** The first `_csrf` field's value in `html` (a page, or one of its forms), unescaped. */
export const csrfToken = (html) => html.match(/name="_csrf" value="([^"]*)"/)?.[1]?.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

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

/** Pins every thread of `pid` to `cpu` (taskset -a); threads it starts later inherit it. */
export function pinToCpu(pid, cpu) {
  execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

/**
 * A scripts/bench-server.js child (`server`: its path, the project's or bare's copy) on `store`
 * with a fresh data directory or Redis key prefix, handed to `pin` (e.g. pinToCpu), once it is
 * ready. Its stderr goes to `onStderrLine` line by line when given, else to this process's.
 * `stop()` ends it (killed after 10 s) and removes what it stored; on Redis it returns
 * deleteRedisKeys's count. A child that never gets ready is killed and cleaned up the same way.
 */
export async function startBenchServer({ server, impl, store, name, pin, flags = [], env = {}, redisUrl, clusterNodes = '', onStderrLine }) {
  const dataDir = store === 'file' ? mkdtempSync(join(tmpdir(), 'latchkey-bench-')) : '-';
  const prefix = `latchkey-bench-${Date.now()}-${name}-${randomBytes(4).toString('hex')}:`;
  const child = fork(server, [impl, store, dataDir, prefix], {
    execArgv: flags,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'silent', BENCH_REDIS_URL: redisUrl, BENCH_REDIS_CLUSTER_NODES: clusterNodes, ...env },
    stdio: ['ignore', 'ignore', onStderrLine ? 'pipe' : 'inherit', 'ipc'],
  });
  if (onStderrLine) {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      for (const line of chunk.split('\n')) if (line.trim()) onStderrLine(line.trim());
    });
  }
  const removeData = async () => {
    if (dataDir !== '-') rmSync(dataDir, { recursive: true, force: true });
    if (store === 'redis') return deleteRedisKeys(redisUrl, prefix);
    return undefined;
  };
  let ready;
  try {
    pin?.(child.pid);
    ready = await waitFor(child, 'ready');
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await removeData().catch(() => undefined);
    throw error;
  }
  return {
    child,
    ready,
    async stop() {
      const exited = new Promise((done) => child.once('exit', done));
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      return removeData();
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

/** RFC 4648 base32 → bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
}

/** What an authenticator app shows now (RFC 6238: SHA-1, 6 digits, 30 s). */
export function totpCode(seed, timeMs = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 30_000)));
  const hmac = createHmac('sha1', base32(seed)).update(counter).digest();
  const offset = hmac[hmac.length - 1] & 0x0f;
  return String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** The requests of signIn's password sign-in, by the names it gives them (the TOTP one adds 'code page' and 'code POST' after the login POST). */
export const SIGN_IN_PHASES = ['authorize', 'login page', 'login POST', 'authorize (resume)', 'token'];

/**
 * One browser's sign-in at a bench server (`ready`: its 'ready' message) as a browser and a
 * relying party make it: authorize → login page → login POST → (with `totp`: the
 * authenticator-app page → its code) → back to authorize → token (PKCE). Each request runs
 * inside `around(phase, send)` (default: just sent), which must return what `send` resolves
 * to: how bench:phases reads each request's CPU time. Throws, naming `label` and the phase,
 * on any unexpected answer.
 */
export async function signIn(ready, { email, totp = false, label = 'server', around = (_phase, send) => send() }) {
  const jar = {};
  const request = (phase, path, { body, headers = {}, status }) =>
    around(phase, async () => {
      const response = await fetch(new URL(path, ready.url), {
        method: body ? 'POST' : 'GET',
        redirect: 'manual',
        body: body && new URLSearchParams(body),
        headers: { accept: 'text/html', cookie: cookieHeader(jar), ...headers },
      });
      keepCookies(jar, response.headers.getSetCookie());
      return { status: response.status, location: response.headers.get('location'), text: await response.text() };
    }).then((answer) => {
      if (answer.status !== status) throw new Error(`${label} ${phase}: HTTP ${answer.status} ${answer.text.slice(0, 120)}`);
      return answer;
    });

  const verifier = randomBytes(32).toString('base64url');
  const authorize = `/auth?${new URLSearchParams({
    client_id: ready.clientId,
    redirect_uri: ready.redirectUri,
    response_type: 'code',
    scope: 'openid',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'bench',
    nonce: 'bench',
  })}`;
  const page = new URL((await request('authorize', authorize, { status: 303 })).location, ready.url).pathname;
  const { text } = await request('login page', page, { status: 200 });
  let next = (await request('login POST', `${page}/login`, { body: { _csrf: csrfToken(text) ?? '', email, password: ready.password }, status: 303 })).location;
  if (totp) {
    const codePage = await request('code page', next, { status: 200 });
    const form = [...codePage.text.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].find(
      (m) => m[1].endsWith('/factor') && m[2].includes('name="action" value="verify"'),
    );
    if (!form) throw new Error(`${label} code page: no code form`);
    const action = new URL(form[1].replace(/&amp;/g, '&'), ready.url).pathname;
    next = (await request('code POST', action, { body: { _csrf: csrfToken(form[2]) ?? '', action: 'verify', code: totpCode(ready.totpSeed) }, status: 303 })).location;
  }
  const code = new URL((await request('authorize (resume)', next, { status: 303 })).location).searchParams.get('code');
  const token = await request('token', '/token', {
    body: { grant_type: 'authorization_code', code, redirect_uri: ready.redirectUri, code_verifier: verifier },
    headers: { authorization: basicAuth(ready.clientId, ready.clientSecret) },
    status: 200,
  });
  if (!token.text.includes('"id_token"')) throw new Error(`${label} token: no id_token`);
}
