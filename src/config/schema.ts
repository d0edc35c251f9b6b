import { z } from 'zod';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

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
    REDIS_KEY_PREFIX: z.string().default('latchkey:'),
    TRUST_PROXY: booleanFromEnv.default(false),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((env) => env.LATCHKEY_SECRET || (!env.MONGODB_URI && !env.REDIS_URL), {
    path: ['LATCHKEY_SECRET'],
    message: 'LATCHKEY_SECRET is required with MONGODB_URI or REDIS_URL (every instance must share it)',
  })
  .transform((env) => ({
    port: env.PORT,
    host: env.HOST,
    issuer: (env.ISSUER ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    dataDir: env.DATA_DIR,
    secret: env.LATCHKEY_SECRET,
    mongodbUri: env.MONGODB_URI,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    trustProxy: env.TRUST_PROXY,
    logLevel: env.LOG_LEVEL,
  }));

export type Config = z.output<typeof configSchema>;
