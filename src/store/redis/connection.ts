import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BackendUnavailableError, type BackendHealth } from '../ports.js';
import { probeHealth } from '../health-probe.js';

export interface RedisConnectionOptions {
  url: string;
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
  client: Redis;
  /** Runs one Redis round trip; any failure becomes BackendUnavailableError('redis'). */
  run<T>(command: (client: Redis) => Promise<T>): Promise<T>;
  health(): Promise<BackendHealth[]>;
  close(): Promise<void>;
}

/** States in which ioredis is establishing a connection that may become ready within connectTimeout. */
const CONNECTING = new Set(['wait', 'connecting', 'connect']);

/**
 * One ioredis client configured to fail closed: no offline queue, so a command issued
 * while Redis is away rejects at once instead of waiting to be replayed; reconnection
 * continues in the background forever (capped backoff), so service resumes by itself.
 */
export function openRedis(options: RedisConnectionOptions): RedisConnection {
  const connectTimeout = options.connectTimeoutMs ?? 2000;
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command in flight when the connection drops may or may not have run; replaying it
    // after reconnect could apply a non-idempotent script (a counter hit) twice. Fail it instead.
    autoResendUnfulfilledCommands: false,
    connectTimeout,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let closed = false;
  // Without an 'error' listener ioredis reports every failed reconnect as an unhandled error
  // event. Log once per outage rather than once per reconnect attempt.
  let down = false;
  client.on('error', (error: Error) => {
    if (down || closed) return;
    down = true;
    options.logger?.warn({ err: error }, 'Redis unavailable; failing closed until it is back');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger?.info('Redis available again');
  });

  /**
   * With the offline queue off, a command sent before the first handshake completes would
   * be rejected even though Redis is fine; so wait (bounded) for a connection in progress.
   * A client that is reconnecting after a failure is not waited for: it fails closed now.
   */
  let connecting: Promise<void> | undefined;
  const settled = (): Promise<void> => {
    if (closed || !CONNECTING.has(client.status)) return Promise.resolve();
    // One shared wait per connection attempt, however many commands queue behind it.
    connecting ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done);
        client.off('close', done);
        client.off('end', done);
        connecting = undefined;
        resolve();
      };
      const timer = setTimeout(done, connectTimeout);
      client.once('ready', done);
      client.once('close', done);
      client.once('end', done);
    });
    return connecting;
  };

  const run = async <T>(command: (client: Redis) => Promise<T>): Promise<T> => {
    if (closed) throw new BackendUnavailableError('redis', new Error('The Redis connection was closed'));
    await settled();
    try {
      return await command(client);
    } catch (error) {
      throw new BackendUnavailableError('redis', error);
    }
  };

  return {
    client,
    run,
    health: () => probeHealth('redis', () => run((c) => c.ping()), options.healthTimeoutMs ?? 1000),
    async close() {
      if (closed) return;
      closed = true;
      // QUIT lets in-flight replies arrive; disconnect() also stops the reconnect loop.
      if (client.status === 'ready') await client.quit().catch(() => undefined);
      client.disconnect();
    },
  };
}
