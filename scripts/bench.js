// `npm run bench`: throughput, latency and memory of Latchkey beside bare node-oidc-provider.
//
// Every server runs in its own child process (scripts/bench-server.js), one child per
// (implementation, store, scenario), listening on 127.0.0.1 only; the load comes from
// autocannon in this process. Latchkey and bare are measured in alternating runs (A B, B A…)
// so that drift of the machine hits both. Memory is the child's peak RSS during the measured
// runs: VmHWM from /proc/<pid>/status, reset (echo 5 > /proc/<pid>/clear_refs) after set-up,
// token minting and warm-up. argon2 is measured in a child of this script (`bench.js argon2 …`).
//
// Environment: BENCH_DURATION (seconds per measured run, default 5), BENCH_WARMUP (default 2),
// BENCH_ROUNDS (measured runs per server for client credentials and refresh, default 2),
// BENCH_LOGIN_ROUNDS (default 2), BENCH_CONNECTIONS (default 10), BENCH_REDIS_URL (default redis://127.0.0.1:6379),
// BENCH_SKIP_REDIS=1 to leave Redis out, BENCH_OUT (default BENCHMARKS.md).

import { fork, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem, release } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = fileURLToPath(new URL('./bench-server.js', import.meta.url));

// ---------------------------------------------------------------------------------------------
// argon2 child: `node scripts/bench.js argon2 <concurrency> <seconds>` reports over IPC.
// ---------------------------------------------------------------------------------------------
if (process.argv[2] === 'argon2' || process.argv[2] === 'pbkdf2') {
  const { default: argon2 } = await import('argon2');
  const { ARGON2_PARAMS } = await import('../dist/accounts/password.js');
  const { pbkdf2 } = await import('node:crypto');
  const concurrency = Number(process.argv[3]);
  const seconds = Number(process.argv[4]);
  const password = 'correct horse battery staple';
  const hash = await argon2.hash(password, ARGON2_PARAMS);
  // pbkdf2 is the CPU-bound control: it shows how many cores the threadpool really gets.
  const verify =
    process.argv[2] === 'argon2'
      ? () => argon2.verify(hash, password)
      : () => new Promise((resolve, reject) => pbkdf2(password, 'salt', 100_000, 32, 'sha256', (e) => (e ? reject(e) : resolve(true))));
  for (let i = 0; i < 2; i++) await verify(); // warm-up
  const latencies = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        if (!(await verify())) failures++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  process.send({ count: latencies.length, elapsed, latencies, failures, params: ARGON2_PARAMS });
  process.disconnect();
  process.exit(0);
}

const { default: autocannon } = await import('autocannon');
const { Redis } = await import('ioredis');

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const OUT = resolve(ROOT, process.env.BENCH_OUT ?? 'BENCHMARKS.md');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const LOGIN_ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 2);
const ARGON2_CONCURRENCY = [1, 2, 4];
const ARGON2_SECONDS = 3;

const benchStart = performance.now();
const problems = [];
const serverStderr = new Map();

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const round = (n, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : NaN);
const mb = (kb) => kb / 1024;

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function procStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return { rssKb: NaN, hwmKb: NaN };
  }
}

/** Peak RSS of `pid` from now on: resets VmHWM, and samples VmRSS every 100 ms as a cross-check. */
function watchMemory(pid) {
  let resetOk = true;
  let resetError;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch (error) {
    resetOk = false;
    resetError = error.message;
  }
  let sampledMaxKb = procStatus(pid).rssKb;
  const timer = setInterval(() => {
    const { rssKb } = procStatus(pid);
    if (rssKb > sampledMaxKb) sampledMaxKb = rssKb;
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      const { rssKb, hwmKb } = procStatus(pid);
      const peakKb = Math.max(resetOk ? hwmKb : sampledMaxKb, sampledMaxKb, rssKb);
      return { peakMb: mb(peakKb), resetOk, resetError };
    },
  };
}

function waitFor(child, type) {
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

async function startServer(impl, store) {
  const dataDir = store === 'file' ? mkdtempSync(join(tmpdir(), 'latchkey-bench-')) : '-';
  const prefix = store === 'redis' ? `latchkey-bench-${Date.now()}-${randomBytes(4).toString('hex')}:` : '-';
  const child = fork(SERVER, [impl, store, dataDir, prefix], {
    env: { ...process.env, LOG_LEVEL: 'silent', BENCH_REDIS_URL: REDIS_URL, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    for (const line of chunk.split('\n')) {
      if (line.trim()) serverStderr.set(line.trim(), (serverStderr.get(line.trim()) ?? 0) + 1);
    }
  });
  const cleanupFailed = async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (store === 'file') rmSync(dataDir, { recursive: true, force: true });
    if (store === 'redis') await deleteRedisKeys(prefix).catch(() => undefined);
  };
  let ready;
  try {
    ready = await waitFor(child, 'ready');
  } catch (error) {
    await cleanupFailed();
    throw error;
  }
  return {
    ...ready,
    startMb: mb(procStatus(child.pid).rssKb),
    child,
    impl,
    store,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      const cleanup = {};
      if (store === 'file') rmSync(dataDir, { recursive: true, force: true });
      if (store === 'redis') cleanup.redisKeysDeleted = await deleteRedisKeys(prefix);
      return cleanup;
    },
  };
}

async function deleteRedisKeys(prefix) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
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
    if (left.length) problems.push(`Redis prefix ${prefix}: ${left.length} keys left after clean-up`);
  } finally {
    redis.disconnect();
  }
  return deleted;
}

async function redisInfo() {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    return info.match(/redis_version:(\S+)/)?.[1] ?? 'unknown';
  } catch (error) {
    return null;
  } finally {
    redis.disconnect();
  }
}

const basicAuth = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const form = (fields) => new URLSearchParams(fields).toString();

function cannon(opts) {
  return autocannon({ connections: CONNECTIONS, timeout: 10, ...opts });
}

/** Latchkey's and bare's samples of one scenario on one store, merged into one row per server. */
function aggregate(scenario, server, samples, info = {}) {
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sum = (f) => samples.reduce((a, s) => a + f(s), 0);
  const statusCodes = {};
  for (const { result } of samples) {
    for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  const row = {
    scenario,
    store: server.store,
    impl: server.impl,
    rate: mean(samples.map((s) => s.rate)),
    rates: samples.map((s) => s.rate),
    p50: mean(samples.map((s) => s.p50)),
    p99: mean(samples.map((s) => s.p99)),
    peakMb: Math.max(...samples.map((s) => s.memory.peakMb)),
    startMb: server.startMb,
    requests: sum((s) => s.result.requests.total),
    non2xx: sum((s) => s.result.non2xx),
    errors: sum((s) => s.result.errors),
    timeouts: sum((s) => s.result.timeouts),
    statusCodes,
    duration: sum((s) => s.result.duration),
    rounds: samples.length,
    ...info,
  };
  for (const s of samples) {
    if (!s.memory.resetOk) problems.push(`${scenario}/${server.store}/${server.impl}: could not reset VmHWM (${s.memory.resetError}); peak RSS from 100 ms samples`);
  }
  return row;
}

/**
 * Starts one child per implementation, prepares the scenario in each, warms each up, then
 * alternates measured runs between them (A B, B A, …) so that drift of the machine hits both.
 */
async function compare(scenario, store, impls, rounds) {
  const servers = [];
  try {
    for (const impl of impls) servers.push(await startServer(impl, store));
    const prepared = [];
    for (const server of servers) prepared.push(await scenario.prepare(server));
    for (const p of prepared) await p.run(WARMUP, { warmup: true });
    const samples = servers.map(() => []);
    for (let round = 0; round < rounds; round++) {
      const order = servers.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const watcher = watchMemory(servers[i].child.pid);
        const sample = await prepared[i].run(DURATION, { warmup: false });
        sample.memory = watcher.stop();
        samples[i].push(sample);
      }
    }
    return servers.map((server, i) => {
      const row = aggregate(scenario.name, server, samples[i], prepared[i].info?.() ?? {});
      scenario.check(row);
      return row;
    });
  } finally {
    for (const server of servers) {
      const cleanup = await server.stop();
      if (cleanup.redisKeysDeleted !== undefined) redisKeysDeleted.push(cleanup.redisKeysDeleted);
    }
  }
}

const redisKeysDeleted = [];

function checkPlain(row) {
  if (row.non2xx || row.errors || row.timeouts) {
    problems.push(`${row.scenario}/${row.store}/${row.impl}: non-2xx ${row.non2xx}, errors ${row.errors}, timeouts ${row.timeouts} (${JSON.stringify(row.statusCodes)})`);
  }
}

/** A sample from a plain token-endpoint run: 2xx per second and autocannon's per-request latency. */
async function tokenRun(server, requests, duration, track) {
  const instance = cannon({ url: server.url, requests, duration });
  track?.(instance);
  const result = await instance;
  return { rate: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, result };
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

const clientCredentials = {
  name: 'client_credentials',
  check: checkPlain,
  async prepare(server) {
    const request = {
      method: 'POST',
      path: '/token',
      headers: {
        authorization: basicAuth(server.clientId, server.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form({ grant_type: 'client_credentials' }),
    };
    return { run: (duration) => tokenRun(server, [request], duration) };
  },
};

/**
 * Refresh: a pool of single-use tokens minted in the server beforehand, sized from the
 * client-credentials rate of the same server and store (refresh does more work, so it is slower).
 */
function refreshTokens(poolSizeFor) {
  return {
    name: 'refresh_token',
    check: checkPlain,
    async prepare(server) {
      const poolSize = poolSizeFor(server);
      const t0 = performance.now();
      const reply = waitFor(server.child, 'minted');
      server.child.send({ type: 'mint', n: poolSize });
      const { tokens } = await reply;
      const mintSeconds = (performance.now() - t0) / 1000;
      let next = 0;
      let exhausted = 0;
      let current;
      const request = {
        method: 'POST',
        path: '/token',
        headers: {
          authorization: basicAuth(server.clientId, server.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        setupRequest(req) {
          // One fresh token per request: rotation makes every refresh token single-use.
          let token = tokens[next];
          if (token === undefined) {
            exhausted++;
            token = 'pool-exhausted';
            current?.stop();
          } else {
            tokens[next++] = undefined;
          }
          req.body = form({ grant_type: 'refresh_token', refresh_token: token });
          return req;
        },
      };
      return {
        run: (duration) => tokenRun(server, [request], duration, (instance) => (current = instance)),
        info() {
          if (exhausted) problems.push(`refresh_token/${server.store}/${server.impl}: token pool (${poolSize}) exhausted; runs stopped early`);
          return { pool: poolSize, used: next, mintSeconds };
        },
      };
    },
  };
}

/** The cookie jar of one simulated browser (paths ignored: the server ignores cookies it does not expect). */
function storeCookies(ctx, headers) {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'set-cookie');
  if (!key) return;
  const values = Array.isArray(headers[key]) ? headers[key] : [headers[key]];
  for (const value of values) {
    const [pair, ...attributes] = value.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const cookie = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => /^\s*expires=.*1970/i.test(a));
    if (!cookie || expired) delete ctx.jar[name];
    else ctx.jar[name] = cookie;
  }
}

const cookieHeader = (ctx) => Object.entries(ctx.jar).map(([n, v]) => `${n}=${v}`).join('; ');
const header = (headers, name) => {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key ? headers[key] : undefined;
  return Array.isArray(value) ? value[0] : value;
};

const passwordLogins = {
  name: 'password_login',
  check(row) {
    // The 303s of steps 1, 3 and 4 are expected (autocannon counts them as non-2xx); anything else is a problem.
    if (row.unexpected || row.errors || row.timeouts) {
      problems.push(`password_login/${row.store}: ${row.unexpected} unexpected responses, errors ${row.errors}, timeouts ${row.timeouts}: ${JSON.stringify(row.failures)}`);
    }
  },
  prepare: preparePasswordLogins,
};

/** Full logins as an autocannon request sequence; each connection's `context` is one browser. */
async function preparePasswordLogins(server) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authPath = `/auth?${form({
    client_id: server.clientId,
    redirect_uri: server.redirectUri,
    response_type: 'code',
    scope: 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'bench-state',
    nonce: 'bench-nonce',
  })}`;
  const authorization = basicAuth(server.clientId, server.clientSecret);
  let nextUser = 0;
  const failures = new Map();

  const makeOpts = ({ warmup }) => {
    const stats = { completed: 0, latencies: [] };
    const fail = (ctx, step, status, body) => {
      ctx.failed = true;
      if (warmup) return;
      const key = `${step}: HTTP ${status}${body ? ` ${String(body).replace(/\s+/g, ' ').slice(0, 120)}` : ''}`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    };
    const expect = (ctx, step, status, wanted, body) => {
      if (status === wanted) return true;
      fail(ctx, step, status, body);
      return false;
    };
    const withCookies = (req, ctx, extra = {}) => {
      req.headers = { ...req.headers, accept: 'text/html', cookie: cookieHeader(ctx), ...extra };
      return req;
    };
    const opts = {
      url: server.url,
      requests: [
        {
          // 1. The relying party sends the browser to the authorization endpoint.
          method: 'GET',
          path: authPath,
          setupRequest(req, ctx) {
            ctx.t0 = performance.now();
            ctx.jar = {};
            ctx.email = server.users[nextUser++ % server.users.length];
            req.headers = { ...req.headers, accept: 'text/html' };
            return req;
          },
          onResponse(status, body, ctx, headers) {
            if (!expect(ctx, 'authorize', status, 303, body)) return;
            storeCookies(ctx, headers);
            ctx.interactionPath = new URL(header(headers, 'location'), server.url).pathname;
          },
        },
        {
          // 2. The login page (sets the CSRF cookie, carries the token).
          method: 'GET',
          setupRequest(req, ctx) {
            if (ctx.failed) return null;
            req.path = ctx.interactionPath;
            return withCookies(req, ctx);
          },
          onResponse(status, body, ctx, headers) {
            if (!expect(ctx, 'login page', status, 200, body)) return;
            storeCookies(ctx, headers);
            ctx.csrf = body.match(/name="_csrf" value="([^"]*)"/)?.[1]?.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
            if (!ctx.csrf) fail(ctx, 'login page (no _csrf)', status);
          },
        },
        {
          // 3. The login form.
          method: 'POST',
          setupRequest(req, ctx) {
            if (ctx.failed) return null;
            req.path = `${ctx.interactionPath}/login`;
            req.body = form({ _csrf: ctx.csrf, email: ctx.email, password: server.password });
            return withCookies(req, ctx, { 'content-type': 'application/x-www-form-urlencoded' });
          },
          onResponse(status, body, ctx, headers) {
            if (!expect(ctx, 'login POST', status, 303, body)) return;
            storeCookies(ctx, headers);
            ctx.resumePath = new URL(header(headers, 'location'), server.url).pathname;
          },
        },
        {
          // 4. Back to the authorization endpoint, which redirects to the client with a code.
          method: 'GET',
          setupRequest(req, ctx) {
            if (ctx.failed) return null;
            req.path = ctx.resumePath;
            return withCookies(req, ctx);
          },
          onResponse(status, body, ctx, headers) {
            if (!expect(ctx, 'authorize resume', status, 303, body)) return;
            const location = header(headers, 'location') ?? '';
            const code = location.startsWith(server.redirectUri) ? new URL(location).searchParams.get('code') : null;
            if (!code) return fail(ctx, `authorize resume (no code: ${location.slice(0, 80)})`, status);
            ctx.code = code;
          },
        },
        {
          // 5. The relying party redeems the code.
          method: 'POST',
          path: '/token',
          setupRequest(req, ctx) {
            if (ctx.failed) return null;
            req.body = form({
              grant_type: 'authorization_code',
              code: ctx.code,
              redirect_uri: server.redirectUri,
              code_verifier: verifier,
            });
            req.headers = { ...req.headers, authorization, 'content-type': 'application/x-www-form-urlencoded' };
            return req;
          },
          onResponse(status, body, ctx) {
            if (!expect(ctx, 'token', status, 200, body)) return;
            if (!body.includes('"id_token"')) return fail(ctx, 'token (no id_token)', status, body);
            stats.completed++;
            stats.latencies.push(performance.now() - ctx.t0);
          },
        },
      ],
    };
    return { opts, stats };
  };

  let completed = 0;
  const requestP50 = [];
  const requestP99 = [];
  const httpRates = [];
  return {
    async run(duration, { warmup }) {
      const { opts, stats } = makeOpts({ warmup });
      const result = await cannon({ ...opts, duration });
      const sorted = stats.latencies.sort((a, b) => a - b);
      if (!warmup) {
        completed += stats.completed;
        requestP50.push(result.latency.p50);
        requestP99.push(result.latency.p99);
        httpRates.push(result.requests.total / result.duration);
      }
      return { rate: stats.completed / result.duration, p50: percentile(sorted, 50), p99: percentile(sorted, 99), result };
    },
    info() {
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return {
        completed,
        httpRate: mean(httpRates),
        requestP50: mean(requestP50),
        requestP99: mean(requestP99),
        failures: Object.fromEntries(failures),
        unexpected: [...failures.values()].reduce((a, b) => a + b, 0),
      };
    },
  };
}

async function argon2Floor(concurrency, kind = 'argon2', seconds = ARGON2_SECONDS) {
  const child = fork(SCRIPT, [kind, String(concurrency), String(seconds)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let sampledMaxKb = 0;
  const timer = setInterval(() => {
    const { hwmKb } = procStatus(child.pid);
    if (hwmKb > sampledMaxKb) sampledMaxKb = hwmKb;
  }, 100);
  const report = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`argon2 child exited (${code})`)));
  });
  clearInterval(timer);
  const { hwmKb } = procStatus(child.pid);
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  const sorted = report.latencies.sort((a, b) => a - b);
  if (report.failures) problems.push(`argon2 c=${concurrency}: ${report.failures} verifications returned false`);
  return {
    concurrency,
    rate: report.count / report.elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    peakMb: mb(Math.max(hwmKb || 0, sampledMaxKb)),
    count: report.count,
    params: report.params,
  };
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const redisVersion = process.env.BENCH_SKIP_REDIS ? null : await redisInfo();
const stores = ['memory', 'file', ...(redisVersion ? ['redis'] : [])];
if (!redisVersion && !process.env.BENCH_SKIP_REDIS) problems.push(`Redis at ${REDIS_URL} unreachable: Redis runs skipped`);

console.log(`Latchkey bench: ${DURATION}s measured (+${WARMUP}s warm-up) per run, ${CONNECTIONS} connections, stores: ${stores.join(', ')}`);

const argon2Rows = [];
for (const c of ARGON2_CONCURRENCY) {
  const row = await argon2Floor(c);
  argon2Rows.push(row);
  console.log(`  argon2id verify  c=${c}: ${round(row.rate)}/s  p50 ${round(row.p50)} ms  p99 ${round(row.p99)} ms`);
}

const cpuControl = [];
for (const c of [1, 2]) cpuControl.push(await argon2Floor(c, 'pbkdf2', 1.5));
console.log(`  CPU control (pbkdf2-sha256, 100k iterations): ${cpuControl.map((r) => `c=${r.concurrency} ${round(r.rate)}/s`).join(', ')}`);

const find = (scenario, store, impl) => rows.find((r) => r.scenario === scenario && r.store === store && r.impl === impl);
const rows = [];
function logRows(newRows) {
  for (const row of newRows) {
    rows.push(row);
    console.log(
      `  ${row.scenario.padEnd(18)} ${row.store.padEnd(6)} ${row.impl.padEnd(8)} ${String(round(row.rate)).padStart(8)}/s (runs: ${row.rates.map((r) => round(r, 0)).join(', ')})  p50 ${round(row.p50, 2)} ms  p99 ${round(row.p99, 2)} ms  peak RSS ${round(row.peakMb)} MB  non-2xx ${row.non2xx}`,
    );
  }
}

for (const store of stores) {
  logRows(await compare(clientCredentials, store, ['bare', 'latchkey'], ROUNDS));
  const ccRate = (impl) => find('client_credentials', store, impl)?.rate ?? 1000;
  // Refresh has so far run at about half the client-credentials rate; 0.8× leaves a margin.
  const poolSizeFor = (server) =>
    Math.ceil(ccRate(server.impl) * 0.8 * (WARMUP + ROUNDS * DURATION)) + 20 * CONNECTIONS;
  logRows(await compare(refreshTokens(poolSizeFor), store, ['bare', 'latchkey'], ROUNDS));
  logRows(await compare(passwordLogins, store, ['latchkey'], LOGIN_ROUNDS));
}

const totalSeconds = (performance.now() - benchStart) / 1000;

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const STORE_LABEL = { memory: 'SQLite :memory:', file: 'SQLite file (tmp)', redis: 'Redis + SQLite :memory:' };
const SCENARIO_LABEL = {
  client_credentials: 'client_credentials grant',
  refresh_token: 'refresh_token grant (rotating)',
  password_login: 'full password login',
};
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '–');

const resultLines = [
  '| Scenario | Store | Server | rate (/s) | each run (/s) | p50 (ms) | p99 (ms) | RSS at start (MB) | peak RSS in run (MB) | Latchkey/bare rate | Latchkey/bare p99 | Latchkey/bare peak RSS | non-2xx / errors |',
  '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
];
for (const scenario of ['client_credentials', 'refresh_token', 'password_login']) {
  for (const store of stores) {
    for (const impl of ['bare', 'latchkey']) {
      const row = find(scenario, store, impl);
      if (!row) continue;
      const bare = find(scenario, store, 'bare');
      const isLogin = scenario === 'password_login';
      const cmp = impl === 'latchkey' && bare;
      const issues = isLogin
        ? `${row.unexpected} unexpected, ${row.errors} errors (303s expected)`
        : `${row.non2xx} / ${row.errors + row.timeouts}`;
      resultLines.push(
        `| ${SCENARIO_LABEL[scenario]}${isLogin ? ' (logins/s)' : ''} | ${STORE_LABEL[store]} | ${impl === 'bare' ? 'bare oidc-provider' : 'Latchkey'} | ${fmt(row.rate)} | ${row.rates.map((r) => fmt(r, 0)).join(', ')} | ${fmt(row.p50, isLogin ? 0 : 1)} | ${fmt(row.p99, isLogin ? 0 : 1)} | ${fmt(row.startMb)} | ${fmt(row.peakMb)} | ${cmp ? ratio(row.rate, bare.rate) : isLogin ? 'n/a (bare has no login UI)' : ''} | ${cmp ? ratio(row.p99, bare.p99) : ''} | ${cmp ? ratio(row.peakMb, bare.peakMb) : ''} | ${issues} |`,
      );
    }
  }
}

const argonLines = [
  '| Concurrent verifications | verifications/s | p50 (ms) | p99 (ms) | peak RSS (MB) |',
  '| ---: | ---: | ---: | ---: | ---: |',
  ...argon2Rows.map((r) => `| ${r.concurrency} | ${fmt(r.rate)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.peakMb)} |`),
];
const cpuLine = `CPU-bound control (pbkdf2-sha256, 100k iterations, same threadpool): ${cpuControl.map((r) => `${fmt(r.rate)}/s with ${r.concurrency} concurrent`).join(', ')} — ${ratio(cpuControl[1]?.rate, cpuControl[0]?.rate)}× scaling from 1 to 2.`;

const loginLines = [
  '| Store | logins/s | login p50 (ms) | login p99 (ms) | completed | HTTP req/s | per-request p50 / p99 (ms) | status codes |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ...stores
    .map((s) => find('password_login', s, 'latchkey'))
    .filter(Boolean)
    .map(
      (r) =>
        `| ${STORE_LABEL[r.store]} | ${fmt(r.rate)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.completed} | ${fmt(r.httpRate)} | ${fmt(r.requestP50, 0)} / ${fmt(r.requestP99, 0)} | ${Object.entries(r.statusCodes).map(([c, n]) => `${c}: ${n}`).join(', ')} |`,
    ),
];

const refreshLines = stores
  .flatMap((s) => ['bare', 'latchkey'].map((i) => find('refresh_token', s, i)))
  .filter(Boolean)
  .map((r) => `${r.impl}/${r.store}: pool ${r.pool} tokens (minted in ${fmt(r.mintSeconds)} s), ${r.used} handed out`);

// Interpretation, computed from the numbers above.
const argonBest = argon2Rows.reduce((a, b) => (b.rate > a.rate ? b : a), argon2Rows[0]);
const argonOne = argon2Rows.find((r) => r.concurrency === 1);
const loginRows = stores.map((s) => find('password_login', s, 'latchkey')).filter(Boolean);
const pairs = (scenario) =>
  stores.map((s) => [s, find(scenario, s, 'latchkey'), find(scenario, s, 'bare')]).filter(([, l, b]) => l && b);
const ratioList = (list, key = 'rate') => list.map(([s, l, b]) => `${ratio(l[key], b[key])} (${STORE_LABEL[s]})`).join(', ');
const spreads = rows.filter((r) => r.rates.length > 1).map((r) => Math.max(...r.rates) / Math.min(...r.rates) - 1);
const maxSpread = spreads.length ? Math.round(100 * Math.max(...spreads)) : null;
const medianSpread = spreads.length ? Math.round(100 * spreads.sort((a, b) => a - b)[Math.floor(spreads.length / 2)]) : null;
const storeRatio = (scenario, impl, store) => {
  const base = find(scenario, 'memory', impl);
  const other = find(scenario, store, impl);
  return base && other ? ratio(other.rate, base.rate) : '–';
};
const startDelta = (() => {
  const l = rows.filter((r) => r.impl === 'latchkey' && r.scenario !== 'password_login').map((r) => r.startMb);
  const b = rows.filter((r) => r.impl === 'bare').map((r) => r.startMb);
  return l.length && b.length ? Math.round(l.reduce((x, y) => x + y, 0) / l.length - b.reduce((x, y) => x + y, 0) / b.length) : null;
})();
const argonShare = loginRows.map((r) => (r.rate * (argonOne?.p50 ?? NaN)) / 1000 / cpus().length);
const loginStoreNote = (() => {
  if (loginRows.length < 2) return '';
  const sorted = [...loginRows].sort((a, b) => b.rate - a.rate);
  const [fast, slow] = [sorted[0], sorted.at(-1)];
  const gap = Math.round(100 * (1 - slow.rate / fast.rate));
  if (gap <= Math.max(10, medianSpread ?? 0)) return `The store makes little difference to logins (${gap}% between the fastest and the slowest).`;
  return `Logins on ${STORE_LABEL[slow.store]} ran ${gap}% below ${STORE_LABEL[fast.store]}${slow.store === 'redis' ? ': a plausible cause (not verified) is that redis-server and ioredis need CPU on the same two cores that argon2 saturates; part of it may be noise' : '; part of it may be noise'}.`;
})();
const growth = (impl) => {
  const list = rows.filter((r) => r.impl === impl && r.scenario !== 'password_login').map((r) => r.peakMb - r.startMb);
  return list.length ? Math.round(list.reduce((a, b) => a + b, 0) / list.length) : null;
};
const refreshVsCc = (() => {
  const list = rows
    .filter((r) => r.scenario === 'refresh_token')
    .map((r) => [r, find('client_credentials', r.store, r.impl)])
    .filter(([, cc]) => cc)
    .map(([r, cc]) => r.rate / cc.rate);
  return list.length ? list.reduce((a, b) => a + b, 0) / list.length : null;
})();
const directionOf = (scenario, label) => {
  const list = pairs(scenario).map(([, l, b]) => l.rate / b.rate);
  if (!list.length) return '';
  const range = `${Math.min(...list).toFixed(2)}–${Math.max(...list).toFixed(2)}`;
  if (list.every((x) => x < 1)) return `${label}: all ${list.length} stores below 1 (${range}), a consistent overhead even though each ratio is noisy.`;
  if (list.every((x) => x > 1)) return `${label}: all ${list.length} stores above 1 (${range}).`;
  return `${label}: mixed (${range}), so no difference can be told from noise here.`;
};
const direction = [directionOf('client_credentials', 'Client credentials'), directionOf('refresh_token', 'Refresh')].filter(Boolean).join(' ');

const interpretation = [
  `- **Logins are bounded by argon2id.** One verification at ${argonOne ? `${argonOne.params.memoryCost} KiB, t=${argonOne.params.timeCost}, p=${argonOne.params.parallelism}` : 'our parameters'} takes ~${fmt(argonOne?.p50, 0)} ms of one core; this machine tops out at ~${fmt(argonBest.rate, 0)} verifications/s (at ${argonBest.concurrency} concurrent; libuv's 4 threads on ${cpus().length} cores). Full logins reached ${loginRows.map((r) => `${fmt(r.rate)}/s (${STORE_LABEL[r.store]})`).join(', ')}: ${loginRows.map((r) => `${Math.round((100 * r.rate) / argonBest.rate)}%`).join(' / ')} of that ceiling. At those rates argon2 alone keeps ≈${argonShare.map((x) => `${Math.round(100 * x)}%`).join(' / ')} of the ${cpus().length} cores busy; the rest goes to the four other HTTP requests of each login (authorization request, login page, redirect, code exchange with an ES256 ID token), the interaction/session/code/grant writes, and the load generator, which shares the machine. ${loginStoreNote} No store can lift logins above the argon2 ceiling; only a cheaper hash or more cores would.`,
  `- **Latchkey vs bare node-oidc-provider on the token endpoint:** client credentials ${ratioList(pairs('client_credentials'))}; refresh ${ratioList(pairs('refresh_token'))}. ${direction} What differs (by reading the code, not measured separately): Latchkey's clients are stored, so every request does a client-store read plus node-oidc-provider's JSON + SHA-256 of the metadata to find its cached Client, where bare has a static client; Latchkey's Koa app runs security headers, its error handler and three routers before koa-mount hands the request to the provider; on refresh, Latchkey's findAccount reads the account (bare's returns the subject without a read). Both sides share the adapter factory, the store, opaque tokens, rotation and ES256 ID tokens.`,
  `- **Noise:** this is a shared 2-core VM and the load generator runs on it too. The same server's measured runs differed by up to ${maxSpread ?? '–'}% (median ${medianSpread ?? '–'}%) in rate; a single ratio, or a store-to-store difference, of that size is within noise. Run \`npm run bench\` again, or raise BENCH_ROUNDS / BENCH_DURATION, before reading much into them.`,
  `- **Stores:** relative to SQLite :memory: (Latchkey), the SQLite file runs client credentials at ${storeRatio('client_credentials', 'latchkey', 'file')}× and refresh at ${storeRatio('refresh_token', 'latchkey', 'file')}×; Redis at ${storeRatio('client_credentials', 'latchkey', 'redis')}× and ${storeRatio('refresh_token', 'latchkey', 'redis')}×. SQLite runs every statement synchronously on the event loop (WAL, no fsync per commit with synchronous=NORMAL); Redis costs a loopback round trip and a Lua script per write but does that work in another process, on the other core. Redis's own memory is not in the RSS columns.`,
  `- **Refresh vs client credentials:** a rotating refresh reads the token and the grant (and, in Latchkey, the account), consumes the old token, saves a new refresh token and an access token, and signs an ES256 ID token; client credentials save one token. Refresh ran at ${refreshVsCc !== null ? `≈${refreshVsCc.toFixed(2)}×` : '–'} the client-credentials rate (mean over servers and stores).`,
  `- **Memory:** Latchkey starts ${startDelta !== null ? `≈${startDelta} MB` : ''} above bare: its container imports every store (including the MongoDB one, mongoose, whether or not MONGODB_URI is set), pino, handlebars, zod and the Koa routers. Under load, RSS grew on average by ≈${growth('bare')} MB for bare and ≈${growth('latchkey')} MB for Latchkey over their start (V8 heap under allocation pressure, plus the store's data for SQLite :memory:). The refresh runs keep their pre-minted pool (one grant + one refresh token per request) in the store — inside the process for SQLite :memory: — on both sides alike. Logins add argon2id's ${argonOne ? Math.round(argonOne.params.memoryCost / 1024) : 19} MiB per concurrent verification (up to 4 with libuv's default pool).`,
];

const md = `# Benchmarks

Generated by \`npm run bench\` (scripts/bench.js) on ${new Date().toISOString()}.

## Machine

- ${cpus().length} CPUs (\`nproc\`: ${execFileSync('nproc').toString().trim()}), ${cpus()[0]?.model ?? 'unknown CPU'}, ${fmt(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}
- Node.js ${process.version}; oidc-provider ${pkgVersion('oidc-provider')}; autocannon ${pkgVersion('autocannon')}; argon2 ${pkgVersion('argon2')}; better-sqlite3 ${pkgVersion('better-sqlite3')}${redisVersion ? `; Redis ${redisVersion} on 127.0.0.1` : ''}
- Whole run: ${fmt(totalSeconds, 0)} s

## Method

- Every server runs in its own child process (\`node scripts/bench-server.js <impl> <store> …\`), one fresh process per (server, store, scenario), listening on 127.0.0.1; the load comes from autocannon ${pkgVersion('autocannon')} in the parent process (the same ${cpus().length}-core machine, so the load generator takes CPU from the server). ${CONNECTIONS} connections, keep-alive, no pipelining. Each server gets a ${WARMUP} s warm-up (discarded); then, for client credentials and refresh, ${ROUNDS} measured runs of ${DURATION} s per server, alternating Latchkey and bare (bare, Latchkey, Latchkey, bare, …; the server not under load sits idle), and ${LOGIN_ROUNDS} consecutive run(s) of ${DURATION} s for logins. Rates are the mean over runs (each run listed), p50/p99 the mean of the runs' percentiles, peak RSS the maximum.
- **Latchkey** is the real app: \`loadConfig\` (LOG_LEVEL=silent) → \`buildContainer\` → \`buildApp\`, behind \`http.createServer\`. **bare** is \`new Provider(issuer, {…})\` from oidc-provider with the same adapter factory (\`createAdapterFactory\`) over the same store kind, a static confidential client, the same TTLs, \`rotateRefreshToken: true\`, PKCE required, clientCredentials on, opaque tokens, ES256 ID tokens; served by \`http.createServer(provider.callback())\`.
- Stores: **SQLite :memory:** (DATA_DIR=':memory:'); **SQLite file** in a fresh temp directory (WAL, synchronous=NORMAL, as in production; deleted afterwards); **Redis** (${REDIS_URL}) for provider artifacts and counters with a unique REDIS_KEY_PREFIX per run (its keys are deleted afterwards: ${redisKeysDeleted.reduce((a, b) => a + b, 0)} keys in all this run), long-lived records (accounts, clients, consents, keys) on SQLite :memory:. Each server answers \`stores.health()\` (a Redis PING) before the load starts, so no run begins while ioredis is still connecting.
- **client_credentials**: \`POST /token grant_type=client_credentials\`, client_secret_basic. Rate = 2xx responses / run time.
- **refresh_token**: a pool of refresh tokens is minted in the server process before the run with the provider's own models (one \`Grant\` with \`openid offline_access\` and one \`RefreshToken\` per token, gty authorization_code); autocannon's \`setupRequest\` hands each request a token never used before (rotation makes them single-use). ${refreshLines.join('; ')}.
- **password login** (Latchkey only; the bare provider has no login UI, so there is nothing to compare): autocannon \`requests\` sequence with a per-connection \`context\` (cookie jar, interaction path, CSRF token, code) filled by \`onResponse\`: \`GET /auth?…scope=openid…\` → 303 → \`GET /interaction/<uid>\` (login page) → \`POST /interaction/<uid>/login\` → 303 → \`GET /auth/<uid>\` → 303 to the redirect URI with a code → \`POST /token\` (authorization_code + PKCE verifier). Consent is pre-seeded, so none is asked. Fifty accounts share one argon2id hash and are used round-robin (the per-email lockout counter would throttle one account hammered by 10 concurrent logins). A login counts when the token response carries an ID token; its latency is measured from the first request to the token response; logins/s = completed logins / run time. Every step's status is checked; autocannon reports the expected 303s as "non-2xx".
- **argon2id**: \`argon2.verify\` at ARGON2_PARAMS (${argonOne ? `type argon2id, memoryCost ${argonOne.params.memoryCost} KiB, timeCost ${argonOne.params.timeCost}, parallelism ${argonOne.params.parallelism}` : ''}) in a child Node process, ${ARGON2_SECONDS} s per concurrency level, default libuv threadpool (4 threads).
- **Latency** for client_credentials and refresh is autocannon's per-request latency (1 ms resolution); for logins, per-login latency (all five requests, from the first request to the token response).
- **RSS at start** is the server child's VmRSS once it is ready (set-up done, before any load). **Peak RSS** is the server child's VmHWM from /proc/<pid>/status, reset just before each measured run (\`echo 5 > /proc/<pid>/clear_refs\`, so set-up, minting and warm-up are excluded), cross-checked with 100 ms VmRSS samples. For argon2 it is the child's lifetime VmHWM.

## Results

${resultLines.join('\n')}

Ratios are Latchkey ÷ bare on the same store (rate: higher is better for Latchkey; p99 and RSS: lower is better).

### Logins in detail

${loginLines.join('\n')}

### argon2id floor (verifications in-process, no HTTP)

${argonLines.join('\n')}

${cpuLine}

## Interpretation

${interpretation.join('\n')}

## Problems seen during the run

${problems.length ? problems.map((p) => `- ${p}`).join('\n') : '- None: no errors, no timeouts, no unexpected status codes.'}
${serverStderr.size ? `\nServer stderr (deduplicated):\n\n${[...serverStderr].map(([line, n]) => `    ${line}  (×${n})`).join('\n')}\n` : ''}`;

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

writeFileSync(OUT, md);
console.log(`\n${resultLines.join('\n')}\n\n${loginLines.join('\n')}\n\n${argonLines.join('\n')}\n`);
if (problems.length) console.log(`Problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
if (serverStderr.size) console.log(`Server stderr:\n${[...serverStderr].map(([l, n]) => `  ${l} (×${n})`).join('\n')}`);
console.log(`Wrote ${OUT} (${fmt(totalSeconds, 0)} s)`);
