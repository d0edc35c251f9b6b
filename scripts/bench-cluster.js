// A throwaway Redis Cluster for `npm run bench`: three redis-server masters in cluster mode
// on spare loopback ports (and their bus ports), in a temporary directory, joined with
// `redis-cli --cluster create` (no replicas, no persistence). The same recipe as the tests'
// test/support/redis-cluster.ts, in plain JavaScript for the bench scripts.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function portIsFree(port) {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const cli = (port, ...args) => {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
};

export const haveRedisCluster = () =>
  spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;

/** Starts the cluster; `cpus` (e.g. '0') pins the redis-servers with taskset. Resolves { nodes: 'h:p,…', version, stop() }. */
export async function startBenchCluster({ cpus } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-cluster-'));
  const ports = [];
  while (ports.length < 3) {
    // Below the kernel's ephemeral ports (32768 up on Linux), bus port (+10000) included, as in test/support/redis-cluster.ts.
    const port = 11000 + Math.floor(Math.random() * 11768);
    if (ports.includes(port)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) ports.push(port);
  }
  const children = ports.map((port) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', '2000', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    return cpus ? spawn('taskset', ['-c', cpus, 'redis-server', ...args], { stdio: 'ignore' }) : spawn('redis-server', args, { stdio: 'ignore' });
  });
  const stop = async () => {
    await Promise.all(children.map((child) => (child.exitCode !== null ? undefined : new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGKILL'); }))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      for (let i = 0; cli(port, 'PING').trim() !== 'PONG'; i++) {
        if (i > 100) throw new Error(`redis-server did not start on ${port}`);
        await sleep(50);
      }
    }
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (let i = 0; !ports.every((p) => /cluster_state:ok/.test(cli(p, 'CLUSTER', 'INFO'))); i++) {
      if (i > 300) throw new Error('Redis Cluster did not reach cluster_state:ok');
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const version = /redis_version:(\S+)/.exec(cli(ports[0], 'INFO', 'server'))?.[1] ?? 'unknown';
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), version, stop };
}
