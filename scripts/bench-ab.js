// `npm run bench:ab`: a paired A/B of two servers on the token endpoint, for a change too
// small for `npm run bench` to see through this machine's noise (a few % of CPU per request).
//
// Both servers (scripts/bench-server.js children) run on the same core (BENCH_SERVER_CPU,
// default 1; the load from this process on BENCH_LOAD_CPU, default 0) and take their load at
// the same time, round after round, which side's load starts first alternating by round; each
// side's CPU time per request comes from its own /proc counters. Two identical servers differ
// by about ±3 % this way.
//
// Environment:
//   BENCH_AB_SIDES   JSON array of the two sides, each { "name", "impl": "latchkey"|"bare",
//                    "tree": a directory holding a copy of the project (dist/, scripts/,
//                    package.json, node_modules or a link to it) to run instead of this one,
//                    "flags": node flags, "env": extra environment }. Default: Latchkey as
//                    `npm start` runs it against bare node-oidc-provider as published (the
//                    benchmark's pair). A "bare" side without "tree" runs this project's copy,
//                    patched as Latchkey's is.
//   BENCH_AB_REQUEST client_credentials (default) | refresh_token
//   BENCH_AB_STORE   redis (default) | cluster (a three-master Redis Cluster it starts, its
//                    redis-servers on the load's core) | file | memory
//   BENCH_AB_ROUNDS  default 8; BENCH_DURATION seconds per round, default 5; BENCH_WARMUP
//                    seconds of load on both before the rounds, default 10 (JIT compilation
//                    under token load went on for ~10–20 s here, longer with more code)
//   BENCH_AB_POOL    refresh tokens minted per side, default 60000 (the runs stop early and
//                    say so if a side runs out)
//   BENCH_REDIS_URL  default redis://127.0.0.1:6379

import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REQUEST = process.env.BENCH_AB_REQUEST ?? 'client_credentials';
const STORE = process.env.BENCH_AB_STORE ?? 'redis';
const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 8);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const POOL = Number(process.env.BENCH_AB_POOL ?? 60_000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '0';

if (!['client_credentials', 'refresh_token'].includes(REQUEST) || !['redis', 'cluster', 'file', 'memory'].includes(STORE)) {
  console.error('BENCH_AB_REQUEST: client_credentials | refresh_token; BENCH_AB_STORE: redis | cluster | file | memory');
  process.exit(2);
}

const { default: autocannon } = await import('autocannon');
const { basicAuth, cpuMs, median, mintRefreshTokens, roundOrder, pinToCpu, startBenchServer, startSettings } = await import('./bench-common.js');

async function defaultSides() {
  const { prepareBareTree } = await import('./bench-bare-tree.js');
  const bareServer = prepareBareTree(ROOT);
  return [
    { name: 'latchkey', impl: 'latchkey', ...startSettings(ROOT) },
    { name: 'bare', impl: 'bare', server: bareServer },
  ];
}

const sides = process.env.BENCH_AB_SIDES ? JSON.parse(process.env.BENCH_AB_SIDES) : await defaultSides();
if (!Array.isArray(sides) || sides.length !== 2 || new Set(sides.map((s) => s.name)).size !== 2) {
  console.error('BENCH_AB_SIDES: a JSON array of two sides with different names');
  process.exit(2);
}

async function start(side) {
  const server = side.server ?? join(side.tree ? resolve(side.tree) : ROOT, 'scripts', 'bench-server.js');
  const started = await startBenchServer({
    server,
    impl: side.impl ?? 'latchkey',
    store: STORE,
    name: side.name,
    pin: (pid) => pinToCpu(pid, SERVER_CPU),
    flags: side.flags,
    env: side.env,
    redisUrl: REDIS_URL,
    clusterNodes: cluster?.nodes,
  });
  return { ...side, ...started, tokens: [], next: 0, exhausted: false, perRequestUs: [] };
}

function load(side, seconds) {
  const request = {
    method: 'POST',
    path: '/token',
    headers: {
      authorization: basicAuth(side.ready.clientId, side.ready.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
  };
  if (REQUEST === 'client_credentials') request.body = 'grant_type=client_credentials';
  let instance;
  request.setupRequest = (req) => {
    if (REQUEST === 'client_credentials') return req;
    const token = side.tokens[side.next];
    if (token === undefined) {
      side.exhausted = true;
      instance?.stop();
    } else {
      side.tokens[side.next++] = undefined;
    }
    return { ...req, body: `grant_type=refresh_token&refresh_token=${token ?? 'pool-exhausted'}` };
  };
  instance = autocannon({ url: side.ready.url, connections: 10, duration: seconds, requests: [request] });
  return instance;
}

execFileSync('taskset', ['-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
let cluster;
if (STORE === 'cluster') {
  const { startBenchCluster } = await import('./bench-cluster.js');
  cluster = await startBenchCluster({ cpus: LOAD_CPU });
}
const servers = [];
try {
  for (const side of sides) servers.push(await start(side));
  if (REQUEST === 'refresh_token') {
    // Both mint at once: a server that idled while the other minted measured up to 9 % dearer.
    await Promise.all(
      servers.map(async (side) => {
        side.tokens = await mintRefreshTokens(side.child, POOL);
      }),
    );
  }
  await Promise.all(servers.map((side) => load(side, WARMUP)));
  console.log(`${REQUEST} on ${STORE}: ${WARMUP} s warm-up, ${ROUNDS} paired rounds of ${DURATION} s, server CPU ${SERVER_CPU}, load CPU ${LOAD_CPU}`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = roundOrder(servers.length, round).map((i) => servers[i]);
    const before = order.map((side) => cpuMs(side.child.pid));
    const results = await Promise.all(order.map((side) => load(side, DURATION)));
    order.forEach((side, i) => side.perRequestUs.push(((cpuMs(side.child.pid) - before[i]) * 1000) / Math.max(1, results[i]['2xx'])));
    const failed = results.map((r, i) => (r.non2xx || r.errors || r.timeouts ? `${order[i].name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : '')).filter(Boolean);
    const [a, b] = servers.map((side) => side.perRequestUs[round]);
    console.log(`  round ${round + 1}: ${servers.map((s) => `${s.name} ${s.perRequestUs[round].toFixed(0)} µs`).join(', ')}; ${servers[0].name} ÷ ${servers[1].name} ${(a / b).toFixed(3)}${failed.length ? `  (${failed.join('; ')})` : ''}`);
  }
  const ratios = servers[0].perRequestUs.map((a, k) => a / servers[1].perRequestUs[k]);
  for (const side of servers) console.log(`${side.name}: CPU per request, median ${median(side.perRequestUs).toFixed(0)} µs${side.exhausted ? ' (token pool ran out: raise BENCH_AB_POOL)' : ''}`);
  console.log(`${servers[0].name} ÷ ${servers[1].name} (CPU per request): median ${median(ratios).toFixed(3)}, spread ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`);
} finally {
  for (const side of servers) await side.stop().catch((error) => console.error(`stopping ${side.name}: ${error.message}`));
  await cluster?.stop();
}
