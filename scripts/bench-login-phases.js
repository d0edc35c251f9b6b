// `npm run bench:phases`: where a password login's CPU goes, bare node-oidc-provider beside
// Latchkey, request by request, read from each server's main thread (the event loop:
// JavaScript and the system calls it makes). bare's argon2id runs on libuv's pool threads;
// Latchkey's, on one usable core as here, on the event loop (accounts/password.ts), so its
// login POST includes the verification.
//
// Both servers (scripts/bench-server.js children, Latchkey as `npm start` runs it, bare as
// published) run on one core (BENCH_SERVER_CPU, default 1; this process on BENCH_LOAD_CPU,
// default 0). After a warm-up of logins (the JIT was still compiling Latchkey's pages after
// 300), each side runs logins in turn, alternating by round, as a browser and a relying party
// would: authorize → login page → login POST → back to authorize → token (PKCE). Around every
// request the server's main-thread CPU time is read from /proc/<pid>/task/<pid>/stat.
//
// One login at a time (the default) gives each request's own cost. With
// BENCH_PHASES_CONCURRENCY=10 (the load of `npm run bench`) the requests of several logins
// overlap, so only the totals are printed: a main thread that shares its core with an argon2id
// pool thread then also pays for every time it takes the core back (BENCHMARKS.md, "Logins on
// one saturated core").
//
// Environment:
//   BENCH_PHASES_STORE        redis (default) | file
//   BENCH_PHASES_LOGINS       measured logins per side, a multiple of 4, default 800 (CPU time
//                             comes in 10 ms ticks: a per-request figure needs hundreds)
//   BENCH_PHASES_WARMUP       warm-up logins per side (10 at a time), default 3000
//   BENCH_PHASES_CONCURRENCY  logins at a time in the measured part, default 1
//   BENCH_REDIS_URL           default redis://127.0.0.1:6379

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STORE = process.env.BENCH_PHASES_STORE ?? 'redis';
const LOGINS = Number(process.env.BENCH_PHASES_LOGINS ?? 800);
const WARMUP = Number(process.env.BENCH_PHASES_WARMUP ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_PHASES_CONCURRENCY ?? 1);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '0';
const ROUNDS = 4;

if (!['redis', 'file'].includes(STORE) || !(LOGINS >= ROUNDS && LOGINS % ROUNDS === 0) || !(CONCURRENCY >= 1)) {
  console.error('BENCH_PHASES_STORE: redis | file; BENCH_PHASES_LOGINS: a multiple of 4; BENCH_PHASES_CONCURRENCY ≥ 1');
  process.exit(2);
}

const { SIGN_IN_PHASES: PHASES, cpuMs, mainThreadCpuMs, pinToCpu, roundOrder, signIn, startBenchServer, startSettings } = await import('./bench-common.js');
const { prepareBareTree } = await import('./bench-bare-tree.js');

/** One browser's password login through `side`; adds each request's main-thread CPU to `spent`. */
async function login(side, spent) {
  const { ready, child } = side;
  const around = async (phase, send) => {
    const before = mainThreadCpuMs(child.pid);
    const answer = await send();
    if (spent) spent[phase] = (spent[phase] ?? 0) + mainThreadCpuMs(child.pid) - before;
    return answer;
  };
  await signIn(ready, { email: ready.users[side.next++ % ready.users.length], label: side.name, around });
}

/** `count` logins through `side`, `concurrency` at a time. */
async function logins(side, count, concurrency, spent) {
  let left = count;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) await login(side, spent);
  }));
}

execFileSync('taskset', ['-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
const sides = [
  { name: 'bare', impl: 'bare', server: prepareBareTree(ROOT) },
  { name: 'latchkey', impl: 'latchkey', server: `${ROOT}scripts/bench-server.js`, ...startSettings(ROOT) },
];
try {
  for (const side of sides) {
    Object.assign(side, await startBenchServer({ ...side, store: STORE, pin: (pid) => pinToCpu(pid, SERVER_CPU), redisUrl: REDIS_URL }), { next: 0, spent: {}, main: 0, all: 0 });
    await logins(side, WARMUP, 10);
  }
  console.log(`password logins on ${STORE}: ${WARMUP} warm-up logins each, then ${LOGINS} each, ${CONCURRENCY} at a time, in ${ROUNDS} alternating rounds`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of roundOrder(sides.length, round).map((i) => sides[i])) {
      const main = mainThreadCpuMs(side.child.pid);
      const all = cpuMs(side.child.pid);
      await logins(side, LOGINS / ROUNDS, CONCURRENCY, CONCURRENCY === 1 ? side.spent : undefined);
      side.main += mainThreadCpuMs(side.child.pid) - main;
      side.all += cpuMs(side.child.pid) - all;
    }
  }
  const ms = (x) => (x / LOGINS).toFixed(2).padStart(9);
  const line = (label, values) => console.log(`  ${label.padEnd(32)}${values.map(ms).join('')}`);
  console.log(`\nCPU per login (ms)${' '.repeat(16)}${sides.map((s) => s.name.padStart(9)).join('')}`);
  if (CONCURRENCY === 1) for (const phase of PHASES) line(`main thread: ${phase}`, sides.map((s) => s.spent[phase]));
  line('main thread, in all', sides.map((s) => s.main));
  line('every thread', sides.map((s) => s.all));
} finally {
  for (const side of sides) await side.stop?.().catch((error) => console.error(`stopping ${side.name}: ${error.message}`));
}
