import mongoose, { type Connection } from 'mongoose';
import type { Logger } from 'pino';
import { BackendUnavailableError, DuplicateError, type BackendHealth } from '../ports.js';
import { probeHealth } from '../health-probe.js';

export interface MongoConnectionOptions {
  /** Database to use instead of the one in the URI (the URI's still decides the default authSource). */
  dbName?: string;
  serverSelectionTimeoutMS?: number;
  /** Bound on the ping of health(), so a readiness probe answers quickly while MongoDB is away. */
  healthTimeoutMs?: number;
  /** Told when the connection is lost and when it is back. */
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface MongoConnection {
  connection: Connection;
  /**
   * Runs one operation once the connection is open; network and server-selection failures
   * become BackendUnavailableError('mongodb'), duplicate keys become DuplicateError(what).
   */
  run<T>(what: string, operation: () => Promise<T>): Promise<T>;
  health(): Promise<BackendHealth[]>;
  close(): Promise<void>;
}

const { mongo } = mongoose;

/** Server error codes meaning "this node cannot serve you right now" (elections, shutdown). */
const UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 11000;
}

export function isUnavailable(error: unknown): boolean {
  if (
    error instanceof mongo.MongoNetworkError ||
    error instanceof mongo.MongoServerSelectionError ||
    error instanceof mongo.MongoNotConnectedError ||
    error instanceof mongo.MongoTopologyClosedError ||
    error instanceof mongo.MongoClientClosedError ||
    error instanceof mongo.MongoServerClosedError ||
    error instanceof mongo.MongoOperationTimeoutError
  ) {
    return true;
  }
  // Mongoose re-wraps the driver's server-selection error on the initial connection.
  if ((error as Error | null)?.name === 'MongooseServerSelectionError') return true;
  return error instanceof mongo.MongoServerError && UNAVAILABLE_CODES.has(Number(error.code));
}

/**
 * A dedicated connection (never the global mongoose one). With bufferCommands off, mongoose
 * refuses every operation until the first open has succeeded, so operations wait for it,
 * and an open that failed (MongoDB down at boot) is retried by the next operation instead
 * of leaving the store dead. Once open, the driver reconnects by itself.
 */
export function openMongo(uri: string, options: MongoConnectionOptions = {}): MongoConnection {
  const connectOptions = {
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 3000,
    readPreference: 'primary' as const,
    ...(options.dbName ? { dbName: options.dbName } : {}),
  };
  const connection = mongoose.createConnection();
  let opened = false;
  let closed = false;
  let opening: Promise<void> | null = null;
  let down = false;

  // Mongoose emits 'error' on the connection; an EventEmitter without a listener would crash.
  connection.on('error', () => undefined);
  connection.on('disconnected', () => {
    if (closed || down || !opened) return;
    down = true;
    options.logger?.warn('MongoDB unavailable; failing closed until it is back');
  });
  connection.on('connected', () => {
    if (!down) return;
    down = false;
    options.logger?.info('MongoDB available again');
  });

  const open = (): Promise<void> => {
    if (opened) return Promise.resolve();
    opening ??= connection.openUri(uri, connectOptions).then(
      () => {
        opened = true;
      },
      (error: unknown) => {
        opening = null;
        throw error;
      },
    );
    return opening;
  };
  // Start connecting now so the first request does not pay for it; its failure is reported
  // by whichever operation comes first.
  open().catch(() => undefined);

  const run = async <T>(what: string, operation: () => Promise<T>): Promise<T> => {
    if (closed) throw new BackendUnavailableError('mongodb', new Error('The MongoDB connection was closed'));
    try {
      await open();
      return await operation();
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateError(what);
      if (isUnavailable(error)) throw new BackendUnavailableError('mongodb', error);
      throw error;
    }
  };

  return {
    connection,
    run,
    health: () =>
      probeHealth(
        'mongodb',
        () => run('ping', async () => void (await connection.db!.admin().ping())),
        options.healthTimeoutMs ?? 1000,
      ),
    async close() {
      if (closed) return;
      closed = true;
      await opening?.catch(() => undefined);
      await connection.close();
    },
  };
}
