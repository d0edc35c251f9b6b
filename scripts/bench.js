// `npm run bench`: throughput, latency, memory and start-up of Latchkey beside bare node-oidc-provider.
//
// Every server runs in its own child process (scripts/bench-server.js), one child per
// (implementation, store, scenario), listening on 127.0.0.1 only; the load comes from
// autocannon in this process. On a machine with 2+ cores the server (and argon2's floor, and
// the start-up probes) are pinned to one core (BENCH_SERVER_CPU, default 1) and this process to
// another (BENCH_LOAD_CPU, default 0) with taskset, so the load generator does not take the
// server's CPU. Latchkey and bare are measured in alternating runs (A B, B A, …) on the same
// store, and each round gives one ratio; the report shows their median and spread. CPU time per
// request (the server's utime+stime from /proc) is reported beside the rates: it is far less
// sensitive to other load on the machine than requests per second. Memory is the child's peak
// RSS during the measured runs: VmHWM from /proc/<pid>/status, reset (echo 5 > clear_refs)
// after set-up, token minting and warm-up.
//
// Environment: BENCH_DURATION (seconds per measured run, default 5), BENCH_WARMUP (default 10),
// BENCH_ROUNDS (alternating rounds for client credentials and refresh, default 5),
// BENCH_LOGIN_ROUNDS (default 5), BENCH_CONNECTIONS (default 10), BENCH_STORES (default
// file,redis; also memory), BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_SKIP_REDIS=1,
// BENCH_SKIP_CLUSTER=1 (no Redis Cluster run), BENCH_CLUSTER_ROUNDS (default 5),
// BENCH_SERVER_CPU / BENCH_LOAD_CPU, BENCH_PIN=0 (no taskset), BENCH_OUT (default BENCHMARKS.md),
// BENCH_PAIRED_ROUNDS (default 4), BENCH_SCENARIOS (default client_credentials,refresh_token,password_login,totp_login: a subset
// for a quicker look while working; the written report then lacks the others).

import { fork, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, release } from 'node:os';
import { createServer } from 'node:net';
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

const { haveRedisCluster, startBenchCluster } = await import('./bench-cluster.js');
const { basicAuth, cookieHeader, cpuMs, csrfToken, keepCookies, mainThreadCpuMs, median, mintRefreshTokens, roundOrder, startBenchServer, startSettings, totpCode } = await import(
  './bench-common.js'
);

// bare runs node-oidc-provider as published, from a copy with Latchkey's patches/ reversed.
const { prepareBareTree } = await import('./bench-bare-tree.js');
let bareServerPath;
const bareServer = () => (bareServerPath ??= prepareBareTree(ROOT));
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
// Under token load both servers were still compiling (--trace-opt) 10–20 s in, and CPU per
// request fell by a third over that time: a short warm-up measures the JIT, more of it on the
// side with more code.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const OUT = resolve(ROOT, process.env.BENCH_OUT ?? 'BENCHMARKS.md');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LOGIN_ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 5);
const CLUSTER_ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? 5);
/** Rounds with bare and Latchkey under load at the same time (after the alternating ones). */
// Even, so that each side starts its load first equally often (see the paired rounds).
const PAIRED_ROUNDS = Number(process.env.BENCH_PAIRED_ROUNDS ?? 4);
const STORES = (process.env.BENCH_STORES ?? 'file,redis').split(',').map((x) => x.trim()).filter(Boolean);
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'client_credentials,refresh_token,password_login,totp_login').split(',').map((x) => x.trim()));
const ARGON2_CONCURRENCY = [1, 2, 4];
const ARGON2_SECONDS = 3;
// Enough accounts that no TOTP login reuses one (a time step is accepted once per account).
const TOTP_USERS = Number(process.env.BENCH_TOTP_USERS ?? 2000);
/** `npm start`'s node flags and environment: Latchkey's servers run with them. */
const { flags: START_FLAGS, env: START_ENV } = startSettings(ROOT);
const PIN = process.env.BENCH_PIN !== '0' && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '0';

/** Pins every thread of `pid` to `cpu` (taskset -a); threads it starts later inherit it. */
function pin(pid, cpu) {
  if (!PIN) return;
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) problems.push(`taskset of ${pid} to CPU ${cpu} failed: ${r.stderr.trim()}`);
}
const loadSamples = [];

const benchStart = performance.now();
const problems = [];
let clusterNodes = '';
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

async function startServer(impl, store, { totpUsers = 0 } = {}) {
  const { child, ready, stop } = await startBenchServer({
    server: impl === 'bare' ? bareServer() : SERVER,
    impl,
    store,
    name: impl,
    pin: (pid) => pin(pid, SERVER_CPU),
    // Latchkey runs with the V8 flags of `npm start`, as deployed; bare with Node's defaults.
    flags: impl === 'latchkey' ? START_FLAGS : [],
    env: { ...(impl === 'latchkey' ? START_ENV : {}), BENCH_TOTP_USERS: String(totpUsers) },
    redisUrl: REDIS_URL,
    clusterNodes,
    onStderrLine: (line) => serverStderr.set(line, (serverStderr.get(line) ?? 0) + 1),
  });
  return {
    ...ready,
    startMb: mb(procStatus(child.pid).rssKb),
    child,
    impl,
    store,
    async stop() {
      const redisKeys = await stop();
      if (redisKeys?.left) problems.push(`Redis prefix of ${impl}/${store}: ${redisKeys.left} keys left after clean-up`);
      return redisKeys ? { redisKeysDeleted: redisKeys.deleted } : {};
    },
  };
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
    rate: median(samples.map((s) => s.rate)),
    rates: samples.map((s) => s.rate),
    cpuMsPerUnit: median(samples.map((s) => s.cpuMsPerUnit)),
    mainCpuMsPerUnit: median(samples.map((s) => s.mainCpuMsPerUnit)),
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
async function compare(scenario, store, impls, rounds, serverOptions = {}) {
  const servers = [];
  try {
    for (const impl of impls) servers.push(await startServer(impl, store, serverOptions));
    // Both sides prepare at once (for refresh: mint their token pools). One after the other,
    // the first one idled while the second minted, and then used up to 9 % more CPU per
    // refresh than an identical server that minted second (measured with two Latchkey servers).
    const prepared = await Promise.all(servers.map((server) => scenario.prepare(server)));
    const samples = await alternatingRuns(prepared, rounds, (i) => measuredRun(servers[i], prepared[i]));
    // Paired rounds: both servers under load at once, on the same core, so that whatever else
    // the machine does in those seconds hits both alike. CPU time per unit comes from each
    // server's own /proc counters, whatever share of the core each got. Not counted in the
    // rates, latencies or memory above (each server has half a core here). Token scenarios
    // only: in paired logins the two servers' argon2id threads (bare runs four at once,
    // Latchkey one per core) evict each other's 19 MiB from the caches, so CPU per login there
    // says more about that than about either server.
    const pairedCpu = servers.map(() => []);
    if (servers.length === 2 && scenario.paired) {
      for (let round = 0; round < PAIRED_ROUNDS; round++) {
        const cpu0 = servers.map((server) => cpuMs(server.child.pid));
        // The load on one side starts a moment before the other's; which one goes first
        // alternates by round (measured: reversing a fixed order moved the CPU ratio of two
        // identical Latchkey servers by a few %).
        const started = [];
        for (const i of roundOrder(prepared.length, round)) started[i] = prepared[i].run(DURATION, { warmup: true });
        const runs = await Promise.all(started);
        runs.forEach((run, i) => pairedCpu[i].push((cpuMs(servers[i].child.pid) - cpu0[i]) / Math.max(1, run.units)));
        loadSamples.push(loadavg()[0]);
      }
    }
    const rows = servers.map((server, i) => {
      const row = aggregate(scenario.name, server, samples[i], prepared[i].info?.() ?? {});
      scenario.check(row);
      return row;
    });
    // One ratio per round: Latchkey's run against bare's run of the same round (adjacent in time).
    const l = impls.indexOf('latchkey');
    const b = impls.indexOf('bare');
    if (l >= 0 && b >= 0) {
      rows[l].roundRatios = samples[l].map((sample, k) => sample.rate / samples[b][k].rate);
      rows[l].roundCpuRatios = samples[l].map((sample, k) => samples[b][k].cpuMsPerUnit / sample.cpuMsPerUnit);
      rows[l].pairedCpuRatios = pairedCpu[l].map((cpu, k) => pairedCpu[b][k] / cpu);
    }
    return rows;
  } finally {
    for (const server of servers) await stopServer(server);
  }
}

/**
 * Warms each prepared side up, then runs them in alternating order (A, B / B, A / …) for
 * `rounds` rounds; returns each side's samples in round order.
 */
async function alternatingRuns(prepared, rounds, measure) {
  for (const p of prepared) await p.run(WARMUP, { warmup: true });
  const samples = prepared.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const i of roundOrder(prepared.length, round)) samples[i].push(await measure(i));
  }
  return samples;
}

/** One measured run: its rate and latencies, CPU time per unit and peak memory from /proc. */
async function measuredRun(server, prepared) {
  const watcher = watchMemory(server.child.pid);
  const cpu0 = cpuMs(server.child.pid);
  const main0 = mainThreadCpuMs(server.child.pid);
  const sample = await prepared.run(DURATION, { warmup: false });
  sample.cpuMsPerUnit = (cpuMs(server.child.pid) - cpu0) / Math.max(1, sample.units);
  sample.mainCpuMsPerUnit = (mainThreadCpuMs(server.child.pid) - main0) / Math.max(1, sample.units);
  sample.memory = watcher.stop();
  loadSamples.push(loadavg()[0]);
  return sample;
}

async function stopServer(server) {
  const cleanup = await server.stop();
  if (cleanup.redisKeysDeleted !== undefined) redisKeysDeleted.push(cleanup.redisKeysDeleted);
}

/**
 * Several scenarios on one Latchkey server in alternating runs (A, B / B, A / …), so that a
 * ratio between them (password + TOTP ÷ password) compares runs of the same process, adjacent
 * in time: the machine's drift and the process's warm-up hit both alike.
 */
async function compareOnOneServer(scenarios, store, rounds, serverOptions = {}) {
  const server = await startServer('latchkey', store, serverOptions);
  try {
    const prepared = [];
    for (const scenario of scenarios) prepared.push(await scenario.prepare(server));
    const samples = await alternatingRuns(prepared, rounds, (i) => measuredRun(server, prepared[i]));
    return scenarios.map((scenario, i) => {
      const row = aggregate(scenario.name, server, samples[i], prepared[i].info?.() ?? {});
      scenario.check(row);
      return row;
    });
  } finally {
    await stopServer(server);
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
  return { rate: result['2xx'] / result.duration, units: result['2xx'], p50: result.latency.p50, p99: result.latency.p99, result };
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

const clientCredentials = {
  name: 'client_credentials',
  paired: true,
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
    paired: true,
    check: checkPlain,
    async prepare(server) {
      const poolSize = poolSizeFor(server);
      const t0 = performance.now();
      const tokens = await mintRefreshTokens(server.child, poolSize);
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

/** Keeps a response's cookies in the browser `ctx` simulates. */
function storeCookies(ctx, headers) {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'set-cookie');
  if (key) keepCookies(ctx.jar, [headers[key]].flat());
}

const header = (headers, name) => {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key ? headers[key] : undefined;
  return Array.isArray(value) ? value[0] : value;
};

function checkLogins(row) {
  // The 303s of the redirects are expected (autocannon counts them as non-2xx); anything else is a problem.
  if (row.unexpected || row.errors || row.timeouts) {
    problems.push(`${row.scenario}/${row.store}: ${row.unexpected} unexpected responses, errors ${row.errors}, timeouts ${row.timeouts}: ${JSON.stringify(row.failures)}`);
  }
}

const passwordLogins = { name: 'password_login', check: checkLogins, prepare: (server) => preparePasswordLogins(server, { totp: false }) };
const totpLogins = { name: 'totp_login', check: checkLogins, prepare: (server) => preparePasswordLogins(server, { totp: true }) };

/**
 * Full logins as an autocannon request sequence; each connection's `context` is one browser.
 * With `totp`, each login signs in a fresh account that has an authenticator app and answers
 * its code page between the password and the redirect back.
 */
async function preparePasswordLogins(server, { totp }) {
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
  let nextTotpUser = 0;
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
      req.headers = { ...req.headers, accept: 'text/html', cookie: cookieHeader(ctx.jar), ...extra };
      return req;
    };
    const totpSteps = [
      {
        // 3a. The authenticator-app page the password step sent the browser to.
        method: 'GET',
        setupRequest(req, ctx) {
          if (ctx.failed) return null;
          req.path = ctx.resumePath;
          return withCookies(req, ctx);
        },
        onResponse(status, body, ctx, headers) {
          if (!expect(ctx, 'code page', status, 200, body)) return;
          storeCookies(ctx, headers);
          const form = [...body.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].find(
            (m) => m[1].endsWith('/factor') && m[2].includes('name="action" value="verify"'),
          );
          const csrf = form && csrfToken(form[2]);
          if (!form || !csrf) return fail(ctx, 'code page (no code form)', status);
          ctx.factorAction = new URL(form[1].replace(/&amp;/g, '&'), server.url).pathname;
          ctx.factorCsrf = csrf;
        },
      },
      {
        // 3b. The code from the app.
        method: 'POST',
        setupRequest(req, ctx) {
          if (ctx.failed) return null;
          req.path = ctx.factorAction;
          req.body = form({ _csrf: ctx.factorCsrf, action: 'verify', code: totpCode(server.totpSeed) });
          return withCookies(req, ctx, { 'content-type': 'application/x-www-form-urlencoded' });
        },
        onResponse(status, body, ctx, headers) {
          if (!expect(ctx, 'code POST', status, 303, body)) return;
          storeCookies(ctx, headers);
          const next = new URL(header(headers, 'location'), server.url);
          ctx.resumePath = next.pathname + next.search;
        },
      },
    ];
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
            ctx.email = totp ? server.totpUsers[nextTotpUser++] : server.users[nextUser++ % server.users.length];
            if (!ctx.email) {
              fail(ctx, 'TOTP accounts exhausted (raise BENCH_TOTP_USERS)', 0);
              return null;
            }
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
            ctx.csrf = csrfToken(body);
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
            const next = new URL(header(headers, 'location'), server.url);
            ctx.resumePath = next.pathname + next.search;
          },
        },
        ...(totp ? totpSteps : []),
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
      return { rate: stats.completed / result.duration, units: stats.completed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), result };
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
  // On the server's core: the floor a login on that core cannot beat.
  pin(child.pid, SERVER_CPU);
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
// Start-up: `node dist/main.js` as in production, timed from spawn to its first answer
// ---------------------------------------------------------------------------------------------

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts the real server (`node dist/main.js`, as npm start runs it) on `dataDir`, waits for
 * its first 200 of discovery, calls `atFirstAnswer(child, ms since spawn)` and stops it.
 */
async function withMainStarted(dataDir, { nodeArgs = [], env = {} }, atFirstAnswer) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...START_FLAGS, join(ROOT, 'dist/main.js')], {
    env: { ...process.env, ...START_ENV, ...env, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'production' },
    // Not the checkout: a .env there would be read.
    cwd: dataDir,
    stdio: 'ignore',
  });
  pin(child.pid, SERVER_CPU);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`dist/main.js exited (${child.exitCode}) before answering`);
      const ok = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`).then((r) => r.ok, () => false);
      if (ok) return atFirstAnswer(child, performance.now() - t0);
      if (performance.now() - t0 > 30_000) throw new Error('no answer within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  }
}

/** One start of the real server on `dataDir`: ms from spawn to the first 200 of discovery, and RSS then. */
const timeToFirstAnswer = (dataDir) => withMainStarted(dataDir, {}, (child, ms) => ({ ms, rssMb: mb(procStatus(child.pid).rssKb) }));

/** Packages that only some configurations use: a plain start (embedded SQLite, no mail, SMS, Redis or MongoDB) should load none. */
const OPTIONAL_PACKAGES = ['mongoose', 'ioredis', 'nodemailer', 'qrcode', '@simplewebauthn/server', '@zxcvbn-ts/core', 'libphonenumber-js'];

/** Which of OPTIONAL_PACKAGES a plain start of dist/main.js loads before its first answer (an extra start, not timed). */
async function optionalPackagesAtStart() {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-imports-'));
  const importsFile = join(dataDir, 'imports.txt');
  writeFileSync(importsFile, '');
  try {
    return await withMainStarted(
      dataDir,
      {
        nodeArgs: ['--import', join(ROOT, 'scripts/record-imports.mjs')],
        env: { BENCH_IMPORTS_FILE: importsFile, REDIS_URL: '', REDIS_CLUSTER_NODES: '', MONGODB_URI: '' },
      },
      () => {
        const urls = readFileSync(importsFile, 'utf8');
        return OPTIONAL_PACKAGES.filter((name) => urls.includes(`/node_modules/${name}/`));
      },
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function startupTimes(restarts = 5) {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-start-'));
  try {
    const first = await timeToFirstAnswer(dataDir);
    const later = [];
    for (let i = 0; i < restarts; i++) later.push(await timeToFirstAnswer(dataDir));
    return { first, later };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

// Before pinning: nproc counts the CPUs this process may use.
const NPROC = execFileSync('nproc').toString().trim();
if (PIN) pin(process.pid, LOAD_CPU);
loadSamples.push(loadavg()[0]);
const redisVersion = process.env.BENCH_SKIP_REDIS ? null : await redisInfo();
const stores = STORES.filter((s) => s !== 'redis' || redisVersion);
if (STORES.includes('redis') && !redisVersion) problems.push(`Redis at ${REDIS_URL} unreachable: Redis runs skipped`);

console.log(`Latchkey bench: ${DURATION}s measured (+${WARMUP}s warm-up) per run, ${ROUNDS} alternating rounds, ${CONNECTIONS} connections, stores: ${stores.join(', ')}; ${PIN ? `server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : 'not pinned'}`);

const startup = await startupTimes();
const optionalLoaded = await optionalPackagesAtStart();
if (optionalLoaded.length) problems.push(`a plain start loaded packages its configuration does not use: ${optionalLoaded.join(', ')}`);
console.log(`  optional packages loaded by a plain start: ${optionalLoaded.length ? optionalLoaded.join(', ') : 'none'}`);
console.log(`  start-up to first answer: first start ${round(startup.first.ms, 0)} ms (keys generated), restarts ${startup.later.map((x) => round(x.ms, 0)).join(', ')} ms`);

const argon2Rows = [];
for (const c of ARGON2_CONCURRENCY) {
  const row = await argon2Floor(c);
  argon2Rows.push(row);
  console.log(`  argon2id verify  c=${c}: ${round(row.rate)}/s  p50 ${round(row.p50)} ms  p99 ${round(row.p99)} ms`);
}

const find = (scenario, store, impl) => rows.find((r) => r.scenario === scenario && r.store === store && r.impl === impl);
const rows = [];
function logRows(newRows) {
  for (const row of newRows) {
    rows.push(row);
    const ratios = row.roundRatios
      ? `  ${row.ratioLabel ?? 'Latchkey/bare per round'}: ${row.roundRatios.map((r) => r.toFixed(2)).join(', ')}${row.pairedCpuRatios?.length ? `; paired CPU bare/Latchkey: ${row.pairedCpuRatios.map((r) => r.toFixed(2)).join(', ')}` : ''}`
      : '';
    console.log(
      `  ${row.scenario.padEnd(18)} ${row.store.padEnd(7)} ${row.impl.padEnd(8)} ${String(round(row.rate)).padStart(8)}/s (runs: ${row.rates.map((r) => round(r, 0)).join(', ')})  ${round(row.cpuMsPerUnit * 1000, 0)} µs CPU each (main thread ${round(row.mainCpuMsPerUnit * 1000, 0)})  p99 ${round(row.p99, 2)} ms  peak RSS ${round(row.peakMb)} MB${ratios}`,
    );
  }
}

async function tokenScenarios(store, rounds) {
  if (SCENARIOS.has('client_credentials')) logRows(await compare(clientCredentials, store, ['bare', 'latchkey'], rounds));
  const ccRate = (impl) => find('client_credentials', store, impl)?.rate ?? 1000;
  // Refresh has so far run at about half the client-credentials rate; 0.8× leaves a margin.
  const poolSizeFor = (server) => Math.ceil(ccRate(server.impl) * 0.8 * (WARMUP + (rounds + PAIRED_ROUNDS) * DURATION)) + 20 * CONNECTIONS;
  if (SCENARIOS.has('refresh_token')) logRows(await compare(refreshTokens(poolSizeFor), store, ['bare', 'latchkey'], rounds));
}

/** Password logins, bare's smallest login beside Latchkey's full sign-in, in alternating runs. */
async function loginScenarios(store) {
  if (SCENARIOS.has('password_login')) logRows(await compare(passwordLogins, store, ['bare', 'latchkey'], LOGIN_ROUNDS));
  if (SCENARIOS.has('totp_login') && store !== 'cluster') {
    // Against password logins of the same server, round by round (not against the bare
    // comparison's runs above, minutes earlier in another process).
    const [password, totp] = await compareOnOneServer([passwordLogins, totpLogins], store, LOGIN_ROUNDS, { totpUsers: TOTP_USERS });
    totp.roundRatios = totp.rates.map((rate, k) => rate / password.rates[k]);
    totp.ratioLabel = 'TOTP/password (same server) per round';
    // One server ran both kinds of login: its peak memory counts wherever Latchkey's peak is reported.
    totp.peakMb = Math.max(totp.peakMb, password.peakMb);
    logRows([totp]);
  }
}

for (const store of stores) {
  await tokenScenarios(store, ROUNDS);
  await loginScenarios(store);
}

let clusterVersion = null;
if (!process.env.BENCH_SKIP_CLUSTER && haveRedisCluster()) {
  // The cluster's three redis-servers share the load generator's core, as Redis does in the single-node runs.
  const cluster = await startBenchCluster({ cpus: PIN ? LOAD_CPU : undefined });
  clusterNodes = cluster.nodes;
  clusterVersion = cluster.version;
  try {
    await tokenScenarios('cluster', CLUSTER_ROUNDS);
    await loginScenarios('cluster');
  } catch (error) {
    problems.push(`Redis Cluster run failed: ${error.message}`);
  } finally {
    await cluster.stop();
  }
} else if (!process.env.BENCH_SKIP_CLUSTER) {
  problems.push('no redis-server / redis-cli: the Redis Cluster run was skipped');
}
loadSamples.push(loadavg()[0]);

const totalSeconds = (performance.now() - benchStart) / 1000;

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const allStores = [...stores, ...(clusterVersion ? ['cluster'] : [])];
const STORE_LABEL = {
  memory: 'SQLite :memory:',
  file: 'SQLite file',
  redis: 'Redis + SQLite :memory:',
  cluster: 'Redis Cluster (3 masters) + SQLite :memory:',
};
const SCENARIO_LABEL = {
  client_credentials: 'client credentials',
  refresh_token: 'refresh (rotating)',
  password_login: 'full password login',
  totp_login: 'password + TOTP login',
};
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const spreadOf = (xs) => (xs?.length ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}` : '–');
const pairedCell = (row) => (row.pairedCpuRatios?.length ? `${fmt(median(row.pairedCpuRatios), 2)} (${row.pairedCpuRatios.map((r) => r.toFixed(2)).join(', ')})` : '–');
const verdict = (value, target) => (Number.isFinite(value) ? (value >= target ? `≥ ${target}: met` : `< ${target}: **not met**`) : '–');

const tokenLines = [
  '| Scenario | Store | bare (/s, median) | Latchkey (/s, median) | Latchkey/bare: median | spread (min–max) | each round | CPU per request bare / Latchkey (µs) | CPU ratio bare/Latchkey (median) | paired CPU ratio (each round) | p99 bare / Latchkey (ms) | peak RSS bare / Latchkey (MB) | target ≥ 0.95 |',
  '| --- | --- | ---: | ---: | ---: | --- | --- | --- | ---: | --- | --- | --- | --- |',
];
for (const scenario of ['client_credentials', 'refresh_token']) {
  for (const store of allStores) {
    const l = find(scenario, store, 'latchkey');
    const b = find(scenario, store, 'bare');
    if (!l || !b) continue;
    const med = median(l.roundRatios);
    tokenLines.push(
      `| ${SCENARIO_LABEL[scenario]} | ${STORE_LABEL[store]} | ${fmt(b.rate, 0)} | ${fmt(l.rate, 0)} | ${fmt(med, 2)} | ${spreadOf(l.roundRatios)} | ${l.roundRatios.map((r) => r.toFixed(2)).join(', ')} | ${fmt(b.cpuMsPerUnit * 1000, 0)} / ${fmt(l.cpuMsPerUnit * 1000, 0)} | ${fmt(median(l.roundCpuRatios), 2)} | ${pairedCell(l)} | ${fmt(b.p99, 1)} / ${fmt(l.p99, 1)} | ${fmt(b.peakMb, 0)} / ${fmt(l.peakMb, 0)} | ${verdict(med, 0.95)} |`,
    );
  }
}

// The issue's line for logins against the argon2id floor: the verdict and the budget below.
const FLOOR_TARGET = 0.85;
const argonBest = argon2Rows.reduce((a, r) => (r.rate > a.rate ? r : a), argon2Rows[0]);
const argonOne = argon2Rows.find((r) => r.concurrency === 1);
const loginLines = [
  `| Store | bare logins/s (median) | Latchkey logins/s (median) | Latchkey/bare: median (target ≥ 0.95) | each round | Latchkey ÷ argon2id floor (target ≥ ${FLOOR_TARGET}) | bare ÷ floor | password + TOTP logins/s | TOTP ÷ password, each round | TOTP ÷ password: median (target ≥ 0.9) | login p50 / p99 bare / Latchkey (ms) | CPU per login bare / Latchkey (ms) | of which the main thread, bare / Latchkey (ms) | peak RSS bare / Latchkey (MB) |`,
  '| --- | ---: | ---: | --- | --- | --- | ---: | ---: | --- | --- | --- | --- | --- | --- |',
];
for (const store of allStores) {
  const p = find('password_login', store, 'latchkey');
  if (!p) continue;
  const b = find('password_login', store, 'bare');
  const t = find('totp_login', store, 'latchkey');
  const floorRatio = p.rate / argonBest.rate;
  const bareRatio = median(p.roundRatios ?? []);
  const totpRatio = t ? median(t.roundRatios) : NaN;
  loginLines.push(
    `| ${STORE_LABEL[store]} | ${b ? fmt(b.rate) : '–'} | ${fmt(p.rate)} | ${fmt(bareRatio, 2)} (${verdict(bareRatio, 0.95)}) | ${p.roundRatios?.map((r) => r.toFixed(2)).join(', ') ?? '–'} | ${fmt(floorRatio, 2)} (${verdict(floorRatio, FLOOR_TARGET)}) | ${b ? fmt(b.rate / argonBest.rate, 2) : '–'} | ${t ? fmt(t.rate) : '–'} | ${t ? t.roundRatios.map((r) => r.toFixed(2)).join(', ') : '–'} | ${t ? `${fmt(totpRatio, 2)} (${verdict(totpRatio, 0.9)})` : '–'} | ${b ? `${fmt(b.p50, 0)} / ${fmt(b.p99, 0)}` : '–'} / ${fmt(p.p50, 0)} / ${fmt(p.p99, 0)} | ${b ? fmt(b.cpuMsPerUnit, 1) : '–'} / ${fmt(p.cpuMsPerUnit, 1)} | ${b ? fmt(b.mainCpuMsPerUnit, 1) : '–'} / ${fmt(p.mainCpuMsPerUnit, 1)} | ${b ? fmt(b.peakMb, 0) : '–'} / ${fmt(Math.max(p.peakMb, t?.peakMb ?? 0), 0)} |`,
  );
}

// What the floor line leaves a login beyond its one verification, against what each side's
// logins spent beyond it: the line is within reach only if node-oidc-provider's own share of a
// login (bare's) fits in that budget.
const verificationMs = 1000 / argonBest.rate;
const budgetMs = verificationMs * (1 / FLOOR_TARGET - 1);
const budgetLines = allStores.flatMap((store) => {
  const p = find('password_login', store, 'latchkey');
  const b = find('password_login', store, 'bare');
  if (!p) return [];
  const beyond = (side) => (side ? fmt(side.cpuMsPerUnit - verificationMs, 1) : '–');
  return [`- **${STORE_LABEL[store]}**: beyond its one verification (${fmt(verificationMs, 1)} ms at the floor's best rate), a login at ${FLOOR_TARGET} × the floor may spend ${fmt(budgetMs, 1)} ms of CPU; bare's logins spent ${beyond(b)} ms each, Latchkey's ${beyond(p)} ms.`];
});

const argonLines = [
  '| Concurrent verifications (one core) | verifications/s | p50 (ms) | p99 (ms) | peak RSS (MB) |',
  '| ---: | ---: | ---: | ---: | ---: |',
  ...argon2Rows.map((r) => `| ${r.concurrency} | ${fmt(r.rate)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.peakMb)} |`),
];

const peakRss = rows.filter((r) => r.impl === 'latchkey').reduce((a, r) => Math.max(a, r.peakMb), 0);
const peakRssBare = rows.filter((r) => r.impl === 'bare').reduce((a, r) => Math.max(a, r.peakMb), 0);
const startRss = median(rows.filter((r) => r.impl === 'latchkey').map((r) => r.startMb));
const startRssBare = median(rows.filter((r) => r.impl === 'bare').map((r) => r.startMb));
const loads = loadSamples.filter(Number.isFinite);
const spreads = rows.filter((r) => r.rates.length > 1).map((r) => Math.max(...r.rates) / Math.min(...r.rates) - 1);

const md = `# Benchmarks

Generated by \`npm run bench\` (scripts/bench.js) on ${new Date().toISOString()}. Whole run: ${fmt(totalSeconds, 0)} s.

## Machine, and how noisy it was

- ${cpus().length} CPUs (\`nproc\`: ${NPROC}), ${cpus()[0]?.model ?? 'unknown CPU'}, ${fmt(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}
- Node.js ${process.version}; oidc-provider ${pkgVersion('oidc-provider')}; autocannon ${pkgVersion('autocannon')}; argon2 ${pkgVersion('argon2')}; better-sqlite3 ${pkgVersion('better-sqlite3')}${redisVersion ? `; Redis ${redisVersion} at ${REDIS_URL}` : ''}${clusterVersion ? `; Redis Cluster: three redis-server ${clusterVersion} masters started by the bench on loopback` : ''}
- ${PIN ? `Pinned with taskset: every server child, argon2 child and start-up probe on CPU ${SERVER_CPU}; autocannon (this process) on CPU ${LOAD_CPU}.` : 'Not pinned (fewer than 2 CPUs, taskset missing, or BENCH_PIN=0).'} Redis (and the cluster's redis-servers) are not pinned${clusterVersion && PIN ? ` (the cluster's are on CPU ${LOAD_CPU})` : ''}.
- **Noise:** the 1-minute load average, sampled after each measured run, ranged ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))} (median ${fmt(median(loads))}) on ${cpus().length} cores: ${process.env.BENCH_NOISE_NOTE ? `other work on this machine during the benchmark: ${process.env.BENCH_NOISE_NOTE}` : 'a load average above the one server and one load generator means other work shared the cores'}, pinning or not. The same server's runs differed by up to ${spreads.length ? Math.round(100 * Math.max(...spreads)) : '–'}% (median ${spreads.length ? Math.round(100 * median(spreads)) : '–'}%). Ratios of adjacent runs (one per round) cancel slow drift but not bursts; CPU time per request is much less sensitive to contention than requests per second, so read both.

## Results: token endpoint, Latchkey ÷ bare node-oidc-provider on the same store

${tokenLines.join('\n')}

## Results: sign-in, Latchkey ÷ bare node-oidc-provider's smallest login, and ÷ the argon2id floor

${loginLines.join('\n')}

The argon2id floor is the best rate of \`argon2.verify\` on the server's core (table below); a full login does one verification plus four other requests, so it cannot beat that floor. **bare**'s login is the smallest node-oidc-provider allows (its own examples' shape): a bare HTML form, then look the account up, argon2id-verify the password, grant \`openid\`, \`interactionFinished\`; no CSRF check, throttling, audit or templates. Its ratio to the floor shows what node-oidc-provider's own share of a login leaves on this machine.

${budgetLines.join('\n')}

### argon2id floor on the server's core (${argonOne ? `argon2id, m=${argonOne.params.memoryCost} KiB, t=${argonOne.params.timeCost}, p=${argonOne.params.parallelism}` : ''})

${argonLines.join('\n')}

## Memory and start-up

- Peak RSS under load (VmHWM during the measured runs, every scenario and store): Latchkey ${fmt(peakRss, 0)} MB (target ≤ 150 MB: ${peakRss <= 150 ? 'met' : '**not met**'}), bare ${fmt(peakRssBare, 0)} MB. RSS once ready (median): Latchkey ${fmt(startRss, 0)} MB, bare ${fmt(startRssBare, 0)} MB.
- Time from spawning \`node dist/main.js\` (embedded SQLite file) to its first answer (discovery, 200): first start ${fmt(startup.first.ms, 0)} ms (generates and stores the signing and cookie keys; RSS ${fmt(startup.first.rssMb, 0)} MB); restarts with the keys stored: median ${fmt(median(startup.later.map((x) => x.ms)), 0)} ms (${startup.later.map((x) => fmt(x.ms, 0)).join(', ')}; RSS ${fmt(median(startup.later.map((x) => x.rssMb)), 0)} MB).
- Packages only some configurations use (${OPTIONAL_PACKAGES.join(', ')}), loaded by a plain start (embedded SQLite; no mail, SMS, Redis or MongoDB) before its first answer: ${optionalLoaded.length ? `**${optionalLoaded.join(', ')}**` : 'none'} (recorded with an ES module resolve hook, \`scripts/record-imports.mjs\`, in an extra start that is not timed). Each loads on first use instead.

## Method

- Every server runs in its own child process (\`node scripts/bench-server.js <impl> <store> …\`), one fresh process per (server, store, scenario), on 127.0.0.1; load from autocannon ${pkgVersion('autocannon')}, ${CONNECTIONS} connections, keep-alive. Each server gets a ${WARMUP} s warm-up; then ${ROUNDS} rounds (${CLUSTER_ROUNDS} on the cluster) of ${DURATION} s per server, alternating bare and Latchkey (bare, Latchkey / Latchkey, bare / …; the server not under load idles). Each round's ratio is Latchkey's rate ÷ bare's in that round; rates shown are medians over rounds. Then, for the token endpoint, ${PAIRED_ROUNDS} **paired** rounds load both servers at the same time on the same core, so that the machine's drift hits both alike (which side's load starts first alternates by round): their ratio is bare's CPU time per request ÷ Latchkey's, each from its own /proc counters (rates, latencies and memory come from the alternating rounds only; logins are not paired: the two servers' argon2id threads would evict each other's 19 MiB from the caches). Logins: ${LOGIN_ROUNDS} runs of ${DURATION} s.
- **Latchkey** is the real app (\`loadConfig\` → \`buildContainer\` → \`buildApp\`), run as \`npm start\` runs it (\`${[...Object.entries(START_ENV).map(([k, v]) => `${k}=${v}`), ...START_FLAGS].join(' ')}\`; bare runs with Node's and glibc's defaults), with LOG_LEVEL=silent and the page rate limit off (all load comes from one address). **bare** is \`new Provider(issuer, {…})\` with the same adapter factory over the same store kind, a static confidential client, the same TTLs, rotating refresh tokens, PKCE, opaque tokens, ES256 ID tokens, served by \`http.createServer(provider.callback())\`. bare's node-oidc-provider is the package as published: a copy of the installed one with Latchkey's \`patches/\` reversed (scripts/bench-bare-tree.js), while Latchkey runs with them (see the notes on the patch in docs/architecture.md); both share the installed argon2, built from Latchkey's patch (its blocks outside malloc).
- Stores: **SQLite file** in a fresh temp directory (WAL, synchronous=NORMAL); **Redis**: provider artifacts and counters in Redis under a fresh prefix (deleted afterwards: ${redisKeysDeleted.reduce((a, b) => a + b, 0)} keys), long-lived records on SQLite :memory:; **Redis Cluster**: the same on a three-master cluster started by the bench (REDIS_CLUSTER_NODES), removed afterwards.
- **client credentials**: \`POST /token grant_type=client_credentials\`, client_secret_basic. **refresh**: single-use refresh tokens minted beforehand in the server with the provider's own models, one per request.
- **password login**: \`GET /auth\` → login page → \`POST /login\` → \`GET /auth/<uid>\` → code → \`POST /token\` (PKCE), consent pre-seeded (bare grants \`openid\` in its login POST instead), 50 accounts sharing one argon2id hash round-robin, bare and Latchkey alternating as for the token endpoint. **password + TOTP**: the same plus the authenticator-app page and \`POST …/factor\` with the current code; every login uses an account of its own (${TOTP_USERS} prepared), since a time step is accepted once per account. TOTP ÷ password is measured on one Latchkey server of its own that alternates password-only and password + TOTP runs (${LOGIN_ROUNDS} of each), one ratio per adjacent pair: the password-only logins it compares with come from the same process, not from the bare comparison's server.
- **CPU per request**: the server child's utime+stime (/proc/<pid>/stat, 10 ms ticks) over the run ÷ successful requests (or completed logins). For logins also its main thread's alone (/proc/<pid>/task/<pid>/stat): the event loop, without V8's helper threads; bare's argon2id runs on libuv's pool threads, not counted there, Latchkey's on its event loop, counted there (on one usable core it computes there: accounts/password.ts).
- **Peak RSS**: VmHWM of the server child, reset before each measured run (\`echo 5 > /proc/<pid>/clear_refs\`), cross-checked with 100 ms samples.
- **Start-up**: \`node dist/main.js\` on a fresh DATA_DIR (first start), then restarted ${startup.later.length} times on it; discovery polled every 5 ms.

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
console.log(`\n${tokenLines.join('\n')}\n\n${loginLines.join('\n')}\n\n${argonLines.join('\n')}\n`);
if (problems.length) console.log(`Problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
console.log(`Wrote ${OUT} (${fmt(totalSeconds, 0)} s)`);
