import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** redis-server and redis-cli are both on PATH (Debian's redis-server package brings both). */
export const haveRedisCluster =
  spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;

/** Node-failure detection time: short, so that the outage test sees cluster_state:fail within a second or two. */
const NODE_TIMEOUT_MS = 500;

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first port the kernel hands out to outgoing connections (Linux: ip_local_port_range).
 * Cluster ports are chosen below it: a port in that range can be taken by any test's client
 * socket between the check that it is free and redis-server binding it.
 */
function ephemeralPortsStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 21000) return low;
  } catch {
    // Not Linux: the IANA dynamic range starts higher still.
  }
  return 32768;
}

/** A port P with P and its cluster bus port P + 10000 free, both below the ephemeral range. */
async function spareClusterPort(taken: Set<number>): Promise<number> {
  const span = ephemeralPortsStart() - 10000 - 11000;
  for (let i = 0; i < 200; i++) {
    const port = 11000 + Math.floor(Math.random() * span);
    if (taken.has(port) || taken.has(port + 10000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) {
      taken.add(port);
      taken.add(port + 10000);
      return port;
    }
  }
  throw new Error('no spare port pair for a Redis Cluster node');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function cli(port: number, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

export interface RedisClusterUnderTest {
  /** host:port of every master, in start order. */
  nodes: { host: string; port: number }[];
  /** redis://127.0.0.1:P of the first master (a single seed, as REDIS_URL would name it). */
  url: string;
  /** SIGKILLs master `index` (its slots become unserved; the cluster goes to cluster_state:fail). */
  kill(index: number): Promise<void>;
  /** Starts master `index` again with its node file: it rejoins with its slots (and no data). */
  restart(index: number): Promise<void>;
  /** Resolves once every running master reports cluster_state:`state`. */
  waitForState(state: 'ok' | 'fail', timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Three redis-server masters in cluster mode on spare loopback ports, in a temporary
 * directory, joined with `redis-cli --cluster create` (no replicas): a real Redis Cluster
 * with three slot ranges, so that keys of one test land on different masters.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cluster-'));
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < masters; i++) ports.push(await spareClusterPort(taken));
  const children: (ChildProcess | undefined)[] = [];

  let joined = false;
  const start = async (index: number) => {
    // A fresh node whose port was taken after all (another test file's cluster chose it in
    // the same moment) gets another port; a restart keeps its port and node file.
    for (let attempt = 0; ; attempt++) {
      if (await startOn(index)) return;
      if (joined || attempt === 2) throw new Error(`redis-server (cluster mode) did not start on port ${ports[index]}`);
      ports[index] = await spareClusterPort(taken);
    }
  };

  /** Starts master `index` on ports[index]; false if redis-server exited without answering. */
  const startOn = async (index: number): Promise<boolean> => {
    const port = ports[index]!;
    const child = spawn(
      'redis-server',
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
        '--dir', dir,
        '--save', '',
        '--appendonly', 'no',
        '--daemonize', 'no',
      ],
      { stdio: 'ignore' },
    );
    children[index] = child;
    for (let i = 0; i < 100; i++) {
      if (cli(port, 'PING').trim() === 'PONG') return true;
      if (child.exitCode !== null) {
        children[index] = undefined;
        return false;
      }
      await sleep(50);
    }
    throw new Error(`redis-server (cluster mode) did not answer on port ${port}`);
  };

  const kill = async (index: number) => {
    const child = children[index];
    children[index] = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  const waitForState = async (state: 'ok' | 'fail', timeoutMs = 15000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = ports.filter((_, i) => children[i]);
      const states = running.map((port) => /cluster_state:(\w+)/.exec(cli(port, 'CLUSTER', 'INFO'))?.[1]);
      if (states.length > 0 && states.every((s) => s === state)) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster did not reach cluster_state:${state} (saw ${states.join(', ')})`);
      await sleep(50);
    }
  };

  const stop = async () => {
    await Promise.all(ports.map((_, i) => kill(i)));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all(ports.map((_, i) => start(i)));
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}${created.stderr}`);
    joined = true;
    await waitForState('ok');
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    url: `redis://127.0.0.1:${ports[0]}`,
    kill,
    async restart(index) {
      await start(index);
    },
    waitForState,
    stop,
  };
}
