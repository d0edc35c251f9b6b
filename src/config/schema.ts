import { z } from 'zod';
import { defaultMailFrom, mailFromFromEnv, smsWebhookUrlFromEnv, smtpUrlFromEnv } from './mail.js';
import { trustProxyFromEnv } from './trust-proxy.js';
import { redisClusterNodesFromEnv } from './redis.js';

/** Which proxies in front of Latchkey may tell it the client's address (X-Forwarded-For). */
export type TrustProxy =
  | { kind: 'none' }
  | { kind: 'hops'; hops: number }
  /** Proxy addresses, canonical (IPv4-mapped IPv6 as IPv4), or CIDR subnets. */
  | { kind: 'addresses'; addresses: string[] };

/** Every setting Latchkey reads from the environment, with its default. */
export const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    ISSUER: z.url().optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    LATCHKEY_SECRET: z.string().min(32, 'LATCHKEY_SECRET must be at least 32 characters').optional(),
    MONGODB_URI: z.string().min(1).optional(),
    REDIS_URL: z.string().min(1).optional(),
    REDIS_CLUSTER_NODES: redisClusterNodesFromEnv.optional(),
    REDIS_KEY_PREFIX: z.string().default('latchkey:'),
    TRUST_PROXY: trustProxyFromEnv.default({ kind: 'none' }),
    PAGE_RATE_LIMIT: z.coerce.number().int().min(0).default(300),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SMTP_URL: smtpUrlFromEnv.optional(),
    MAIL_FROM: mailFromFromEnv.optional(),
    SMS_WEBHOOK_URL: smsWebhookUrlFromEnv.optional(),
    SMS_WEBHOOK_SECRET: z.string().min(1).optional(),
  })
  .refine((env) => env.LATCHKEY_SECRET || (!env.MONGODB_URI && !env.REDIS_URL && !env.REDIS_CLUSTER_NODES), {
    path: ['LATCHKEY_SECRET'],
    message: 'LATCHKEY_SECRET is required with MONGODB_URI, REDIS_URL or REDIS_CLUSTER_NODES (every instance must share it)',
  })
  .refine((env) => !env.ISSUER || /^https?:\/\/[^/?#]+\/?$/.test(env.ISSUER), {
    path: ['ISSUER'],
    message: 'ISSUER must be an http(s) origin without a path, query or fragment, e.g. https://login.example.com',
  })
  .refine((env) => !env.ISSUER?.startsWith('https:') || env.TRUST_PROXY.kind !== 'none', {
    path: ['TRUST_PROXY'],
    message:
      'ISSUER is https:// but Latchkey itself serves plain HTTP. Put a TLS-terminating proxy in front of it and set ' +
      'TRUST_PROXY to the number of proxies (e.g. TRUST_PROXY=1) or their addresses, so it can tell https requests apart',
  })
  .refine((env) => !env.SMS_WEBHOOK_SECRET || env.SMS_WEBHOOK_URL, {
    path: ['SMS_WEBHOOK_SECRET'],
    message: 'SMS_WEBHOOK_SECRET is set but SMS_WEBHOOK_URL is not: set the URL it is for, or remove the secret',
  })
  .transform((env) => ({
    port: env.PORT,
    host: env.HOST,
    issuer: (env.ISSUER ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    dataDir: env.DATA_DIR,
    secret: env.LATCHKEY_SECRET,
    mongodbUri: env.MONGODB_URI,
    redisUrl: env.REDIS_URL,
    /** Seed nodes (host:port) of a Redis Cluster; REDIS_URL, when also set, adds its node and its credentials. */
    redisClusterNodes: env.REDIS_CLUSTER_NODES,
    /** Short-lived records (artifacts, counters, single-use secrets) live in Redis: one node or a cluster. */
    redis: Boolean(env.REDIS_URL || env.REDIS_CLUSTER_NODES),
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    trustProxy: env.TRUST_PROXY,
    /** Requests a minute one client IP may make to the anonymous pages (0 = unlimited). */
    pageRateLimit: env.PAGE_RATE_LIMIT,
    logLevel: env.LOG_LEVEL,
    /** With neither SMTP_URL nor SMS_WEBHOOK_URL, messages go to the outbox (DATA_DIR/outbox.jsonl). */
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM ?? defaultMailFrom(env.ISSUER ?? `http://localhost:${env.PORT}`),
    smsWebhookUrl: env.SMS_WEBHOOK_URL,
    smsWebhookSecret: env.SMS_WEBHOOK_SECRET,
  }));

export type Config = z.output<typeof configSchema>;
