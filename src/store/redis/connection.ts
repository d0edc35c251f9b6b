import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { BackendUnavailableError, type BackendHealth } from '../ports.js';
import { probeHealth } from '../health-probe.js';
import { clusterSeeds, nodeOptionsFromUrl, type ClusterSeed } from './cluster-seeds.js';

/** One Redis server, or a Redis Cluster: ioredis routes each command (and script) by its first key. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /**
   * A single Redis, or any node of a Redis Cluster: a cluster is recognised from the server's
   * INFO once connected. Its credentials and TLS apply to every cluster node.
   */
  url?: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES): the cluster is used from the start. */
  clusterNodes?: ClusterSeed[];
  /** Bound on one connection attempt. */
  connectTimeoutMs?: number;
  /** Bound on one command: a Redis that accepts the connection but never answers must not hang requests. */
  commandTimeoutMs?: number;
  /** Bound on the PING of health(). */
  healthTimeoutMs?: number;
  /** Told when the connection is lost and when it is back (failing commands are surfaced to callers anyway). */
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface RedisConnection {
  /** The client in use now (a single-node client is replaced by a Cluster once REDIS_URL turns out to be a cluster node). */
  readonly client: RedisClient;
  /** Runs one Redis round trip; any failure becomes BackendUnavailableError('redis'). */
  run<T>(command: (client: RedisClient) => Promise<T>): Promise<T>;
  /** One connection per master (the client itself on a single node): for per-node commands such as SCAN. */
  masters(): Redis[];
  health(): Promise<BackendHealth[]>;
  close(): Promise<void>;
}

/** States in which ioredis is establishing a connection that may become ready within connectTimeout. */
const CONNECTING = new Set(['wait', 'connecting', 'connect']);

const backoff = (times: number) => Math.min(times * 200, 2000);

/**
 * Settings shared by a single node and every cluster node, chosen to fail closed: no
 * offline queue, so a command issued while Redis is away rejects at once instead of waiting
 * to be replayed; reconnection continues in the background forever (capped backoff), so
 * service resumes by itself.
 */
function nodeOptions(options: RedisConnectionOptions, connectTimeout: number): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    // A command in flight when the connection drops may or may not have run; replaying it
    // after reconnect could apply a non-idempotent script (a counter hit) twice. Fail it instead.
    autoResendUnfulfilledCommands: false,
    connectTimeout,
    commandTimeout: options.commandTimeoutMs ?? 2000,
  };
}

function openCluster(seeds: ClusterSeed[], base: RedisOptions, connectTimeout: number): Cluster {
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: false,
    clusterRetryStrategy: backoff,
    // A lost master is not retried by its own connection: ioredis reconnects to it when a
    // command for its slots arrives (or the slot map is refreshed), so requests for those
    // slots fail closed meanwhile and the rest of the cluster keeps serving.
    slotsRefreshTimeout: connectTimeout,
    slotsRefreshInterval: 5000,
    // CLUSTERDOWN (a master lost, its slots uncovered) is retried this often, at most
    // maxRedirections times, before the command fails; keep it within a request's patience.
    retryDelayOnClusterDown: 100,
    maxRedirections: 6,
    redisOptions: base,
  };
  return new Cluster(seeds, clusterOptions);
}

/** Watches one client's errors and readiness, logging once per outage rather than once per reconnect attempt. */
function watch(client: RedisClient, options: RedisConnectionOptions, isClosed: () => boolean): void {
  let down = false;
  // Without an 'error' listener ioredis reports every failed reconnect as an unhandled error event.
  client.on('error', (error: Error) => {
    if (down || isClosed()) return;
    down = true;
    options.logger?.warn({ err: error }, 'Redis unavailable; failing closed until it is back');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger?.info('Redis available again');
  });
  if (client instanceof Cluster) {
    client.on('node error', (error: Error, node: string) => {
      if (isClosed()) return;
      options.logger?.warn({ err: error, node }, 'Redis Cluster node unavailable; its slots fail closed until it is back');
    });
  }
}

export function openRedis(options: RedisConnectionOptions): RedisConnection {
  const connectTimeout = options.connectTimeoutMs ?? 2000;
  let closed = false;
  const isClosed = () => closed;
  const fromUrl = options.url ? nodeOptionsFromUrl(options.url) : undefined;
  const base = { ...nodeOptions(options, connectTimeout), ...fromUrl?.credentials };
  const seeds = clusterSeeds(options.clusterNodes ?? [], fromUrl?.seed);

  let client: RedisClient;
  if (options.clusterNodes?.length) {
    client = openCluster(seeds, base, connectTimeout);
  } else if (options.url) {
    const single = new Redis(options.url, {
      ...nodeOptions(options, connectTimeout),
      enableOfflineQueue: false,
      retryStrategy: backoff,
    });
    client = single;
    // REDIS_URL may name one node of a cluster: that node would answer MOVED for most keys.
    // Checked on every (re)connect, so a cluster that was down at start is still recognised.
    single.on('ready', () => {
      if (client !== single) return;
      single
        .info('cluster')
        .then((info) => {
          if (closed || client !== single || !/^cluster_enabled:1/m.test(info)) return;
          options.logger?.info('REDIS_URL is a Redis Cluster node: using the cluster');
          client = openCluster(seeds, base, connectTimeout);
          watch(client, options, isClosed);
          single.disconnect();
        })
        .catch(() => undefined);
    });
  } else {
    throw new Error('openRedis needs a url or cluster nodes');
  }
  watch(client, options, isClosed);

  /**
   * With the offline queue off, a command sent before the first handshake completes would
   * be rejected even though Redis is fine; so wait (bounded) for a connection in progress.
   * A client that is reconnecting after a failure is not waited for: it fails closed now.
   */
  let connecting: Promise<void> | undefined;
  let connectingFor: RedisClient | undefined;
  const settled = (): Promise<void> => {
    const current = client;
    if (closed || !CONNECTING.has(current.status)) return Promise.resolve();
    // One shared wait per connection attempt, however many commands queue behind it.
    if (connecting && connectingFor === current) return connecting;
    connectingFor = current;
    connecting = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        current.off('ready', done);
        current.off('close', done);
        current.off('end', done);
        if (connectingFor === current) connecting = undefined;
        resolve();
      };
      const timer = setTimeout(done, connectTimeout);
      current.once('ready', done);
      current.once('close', done);
      current.once('end', done);
    });
    return connecting;
  };

  const run = async <T>(command: (client: RedisClient) => Promise<T>): Promise<T> => {
    if (closed) throw new BackendUnavailableError('redis', new Error('The Redis connection was closed'));
    await settled();
    try {
      return await command(client);
    } catch (error) {
      throw new BackendUnavailableError('redis', error);
    }
  };

  const masters = (): Redis[] => (client instanceof Cluster ? client.nodes('master') : [client]);

  /**
   * On a cluster every slot's master must answer: a lost master makes its slots (a share of
   * all keys) unusable, and ioredis drops a lost node from its pool until the slot map is
   * refreshed, so the masters are taken from the slot map, not from the pool.
   */
  const ping = async () => {
    if (!(client instanceof Cluster)) return client.ping();
    const current = client;
    if (current.status !== 'ready') throw new Error(`Redis Cluster is ${current.status}`);
    const pool = new Map(current.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
    const owners = new Set<string>();
    for (let slot = 0; slot < 16384; slot++) {
      const owner = current.slots[slot]?.[0];
      if (!owner) throw new Error(`slot ${slot} has no master`);
      owners.add(owner);
    }
    return Promise.all(
      [...owners].map(async (owner) => {
        const node = pool.get(owner);
        if (!node) throw new Error(`master ${owner} is not connected`);
        const info = String(await node.cluster('INFO'));
        const state = /^cluster_state:(\w+)/m.exec(info)?.[1];
        if (state !== 'ok') throw new Error(`master ${owner}: cluster_state is ${state ?? 'unknown'}`);
      }),
    );
  };

  return {
    get client() {
      return client;
    },
    run,
    masters,
    health: () => probeHealth('redis', () => run(ping), options.healthTimeoutMs ?? 1000),
    async close() {
      if (closed) return;
      closed = true;
      // QUIT lets in-flight replies arrive; disconnect() also stops the reconnect loop.
      if (client.status === 'ready') await client.quit().catch(() => undefined);
      client.disconnect();
    },
  };
}
