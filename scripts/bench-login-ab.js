// `npm run bench:login-ab`: a paired A/B of full sign-ins, for differences of a few % of a
// login's CPU that `npm run bench`'s alternating runs cannot see through this machine's noise.
//
// Two scripts/bench-server.js children (Latchkey as `npm start` runs it) run on the same core
// (BENCH_SERVER_CPU, default 1; this process on BENCH_LOAD_CPU, default 0) and take their
// logins at the same time, round after round, so that whatever else the machine does hits
// both alike; each side's CPU time per login comes from its own /proc counters. A login is
// what a browser and a relying party do: authorize → login page → login POST → (with TOTP:
// the authenticator-app page → its code) → back to authorize → token (PKCE).
//
// Default pair: this build's password logins (A) against its password + TOTP logins (B), so
// B ÷ A is what the second factor adds. Two identical sides came out 0.996 apart this way
// (single rounds within 3 %).
//
// Environment:
//   BENCH_LOGIN_AB_SIDES  JSON array of two sides, each { "name", "totp": true|false, "tree": a
//                         directory holding a copy of the project (dist/, scripts/,
//                         package.json, node_modules) to run instead of this one }
//   BENCH_LOGIN_AB_STORE  redis (default) | file
//   BENCH_LOGIN_AB_ROUNDS default 8; BENCH_LOGIN_AB_PER logins per side and round, default 150
//   BENCH_LOGIN_AB_WARMUP logins per side before the rounds, default 600
//   BENCH_LOGIN_AB_CONCURRENCY logins at a time per side, default 10 (as `npm run bench`)
//   BENCH_REDIS_URL       default redis://127.0.0.1:6379

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STORE = process.env.BENCH_LOGIN_AB_STORE ?? 'redis';
const ROUNDS = Number(process.env.BENCH_LOGIN_AB_ROUNDS ?? 8);
const PER = Number(process.env.BENCH_LOGIN_AB_PER ?? 150);
const WARMUP = Number(process.env.BENCH_LOGIN_AB_WARMUP ?? 600);
const CONCURRENCY = Number(process.env.BENCH_LOGIN_AB_CONCURRENCY ?? 10);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '0';

const SIDES = process.env.BENCH_LOGIN_AB_SIDES
  ? JSON.parse(process.env.BENCH_LOGIN_AB_SIDES)
  : [
      { name: 'password', totp: false },
      { name: 'password + TOTP', totp: true },
    ];
if (!['redis', 'file'].includes(STORE) || SIDES.length !== 2 || ![ROUNDS, PER, CONCURRENCY].every((n) => n >= 1) || !(WARMUP >= 0)) {
  console.error('BENCH_LOGIN_AB_STORE: redis | file; BENCH_LOGIN_AB_SIDES: two sides; rounds, logins and concurrency ≥ 1');
  process.exit(2);
}

const { cpuMs, mainThreadCpuMs, median, pinToCpu, roundOrder, signIn, startBenchServer, startSettings } = await import('./bench-common.js');

/** One browser's sign-in through `side`, with its authenticator-app code when the side has TOTP. */
async function login(side) {
  const email = side.totp ? side.ready.totpUsers[side.next++] : side.ready.users[side.next++ % side.ready.users.length];
  if (!email) throw new Error(`${side.name}: TOTP accounts exhausted`);
  await signIn(side.ready, { email, totp: side.totp, label: side.name });
}

async function logins(side, count) {
  let left = count;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) await login(side);
    }),
  );
}

execFileSync('taskset', ['-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
// Every TOTP login needs an account of its own: a time step is accepted once per account.
const totpUsers = WARMUP + ROUNDS * PER + CONCURRENCY;
const sides = [];
try {
  for (const [i, spec] of SIDES.entries()) {
    const tree = spec.tree ? `${spec.tree.replace(/\/$/, '')}/` : ROOT;
    const settings = startSettings(tree);
    const side = { ...spec, name: spec.name ?? `side ${i}`, next: 0, cpu: [], main: [] };
    Object.assign(
      side,
      await startBenchServer({
        server: `${tree}scripts/bench-server.js`,
        impl: 'latchkey',
        name: `login-ab-${i}`,
        store: STORE,
        flags: settings.flags,
        env: { ...settings.env, BENCH_TOTP_USERS: String(spec.totp ? totpUsers : 0) },
        pin: (pid) => pinToCpu(pid, SERVER_CPU),
        redisUrl: REDIS_URL,
      }),
    );
    sides.push(side);
  }
  await Promise.all(sides.map((side) => logins(side, WARMUP)));
  console.log(`logins on ${STORE}: ${WARMUP} warm-up logins per side, then ${ROUNDS} paired rounds of ${PER} per side, ${CONCURRENCY} at a time each`);
  for (let round = 0; round < ROUNDS; round++) {
    const before = sides.map((side) => ({ all: cpuMs(side.child.pid), main: mainThreadCpuMs(side.child.pid) }));
    // Which side's load starts first alternates by round.
    await Promise.all(roundOrder(sides.length, round).map((i) => logins(sides[i], PER)));
    sides.forEach((side, k) => {
      side.cpu.push((cpuMs(side.child.pid) - before[k].all) / PER);
      side.main.push((mainThreadCpuMs(side.child.pid) - before[k].main) / PER);
    });
    console.log(`  round ${round + 1}: ${sides.map((s) => `${s.name} ${s.cpu.at(-1).toFixed(2)} ms`).join(', ')}`);
  }
  const [a, b] = sides;
  const ratios = b.cpu.map((cpu, k) => cpu / a.cpu[k]);
  const ms = (xs) => median(xs).toFixed(2);
  console.log(`\nCPU per login, median of rounds (every thread / main thread):`);
  for (const side of sides) console.log(`  ${side.name.padEnd(24)} ${ms(side.cpu)} / ${ms(side.main)} ms`);
  console.log(`${b.name} ÷ ${a.name}, CPU per login: median ${median(ratios).toFixed(3)}, spread ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`);
  console.log(`(on a saturated core, logins/s ${b.name} ÷ ${a.name} is the inverse: ${(1 / median(ratios)).toFixed(3)})`);
} finally {
  for (const side of sides) await side.stop?.().catch((error) => console.error(`stopping ${side.name}: ${error.message}`));
}
