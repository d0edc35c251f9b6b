import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Provider from 'oidc-provider';
import pino, { type Logger } from 'pino';
import { createAccountService, type AccountService } from './accounts/account-service.js';
import { argon2Hasher, type PasswordHasher } from './accounts/password.js';
import { createDeviceTokens } from './accounts/device-tokens.js';
import { createPasswordSignIn, type PasswordSignIn } from './accounts/password-sign-in.js';
import { systemClock, type Clock } from './clock.js';
import { createClientService, type ClientService } from './oidc/client-service.js';
import type { Config } from './config/schema.js';
import { createSecretBox, deriveKey, type SecretBox } from './crypto/secret-box.js';
import { createDelivery, type Delivery } from './delivery/index.js';
import { createCsrf, type Csrf } from './http/csrf.js';
import { createDeviceCookie, type DeviceCookie } from './http/device-cookie.js';
import { createViews, type Views } from './http/views.js';
import { loadProviderKeys } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import { settleClientWrites } from './oidc/client-cache.js';
import type { Stores } from './store/ports.js';
import { composeStores } from './store/compose.js';
import { ensurePrivateDir, narrowIfExists } from './store/private-files.js';
import { createSqliteStores } from './store/sqlite/index.js';
import { consoleClient } from './account/console-client.js';
import { createCodeHasher } from './crypto/code-hash.js';
import { createFactorLimits } from './factors/attempts.js';
import type { FactorModule } from './factors/factor.js';
import { emailFactor } from './factors/email/factor.js';
import { createOneTimeCodes } from './factors/one-time-codes.js';
import { phoneFactor } from './factors/phone/factor.js';
import { createRecoveryCodes } from './factors/recovery/recovery-codes.js';
import { createFactorRegistry, type FactorRegistry } from './factors/registry.js';
import { totpFactor } from './factors/totp/factor.js';
import { webauthnFactor, type WebAuthnFactor } from './factors/webauthn/factor.js';
import { createSecurityNotifier, type SecurityNotifier } from './accounts/security-notifier.js';
import { createSignInDispatcher, type SignInDispatcher } from './interaction/dispatcher.js';
import { createPasswordPolicy } from './accounts/password-policy.js';
import { createPasswordReset, type PasswordReset } from './accounts/password-reset.js';
import { createSignUp } from './accounts/sign-up.js';
import { createSubscriptions, type Subscriptions } from './orgs/subscriptions.js';
import { createEmailVerification } from './accounts/email-verification.js';
import { createAudit, type Audit } from './audit/audit.js';
import { createBackupNotice } from './recovery/backup-notice.js';
import { backupPhoneCheck, createBackupMethods, type BackupMethods } from './recovery/backup-methods.js';
import type { BackupNotice } from './recovery/two-factor-reset.js';
import { createTwoFactorReset, type TwoFactorReset } from './recovery/two-factor-reset.js';
import { createResetLinkCookie, type ResetLinkCookie } from './recovery/reset-link-cookie.js';

/** The name authenticator apps show above the code: the issuer's host. */
function issuerName(issuer: string): string {
  return `Latchkey (${new URL(issuer).host.replace(/:/g, ' ')})`;
}

export interface Container {
  config: Config;
  logger: Logger;
  clock: Clock;
  stores: Stores;
  views: Views;
  csrf: Csrf;
  provider: Provider;
  hasher: PasswordHasher;
  signIn: PasswordSignIn;
  deviceCookie: DeviceCookie;
  accounts: AccountService;
  clients: ClientService;
  /** Email, text messages and voice calls (or the outbox when neither is configured). */
  delivery: Delivery;
  /** Seals secrets at rest (AES-256-GCM under the master secret). */
  box: SecretBox;
  /** Every second-factor module, in the order they are offered. */
  factorModules: FactorModule[];
  factorRegistry: FactorRegistry;
  /** The WebAuthn module (also in factorModules), for passwordless sign-in with a passkey. */
  webauthn: WebAuthnFactor;
  notifier: SecurityNotifier;
  /** The sign-in flow's dispatcher (the login prompt's pages). */
  signInFlow: SignInDispatcher;
  /** "Forgot password": reset links by email. */
  passwordReset: PasswordReset;
  /** Subscriptions: `latchkey subscriptions`, and joining one from the console (src/orgs/). */
  subscriptions: Subscriptions;
  /** The audit log of security events (src/audit/). */
  audit: Audit;
  /** Resetting 2FA: with the backup method and the emailed link, or by support (src/recovery/). */
  twoFactorReset: TwoFactorReset;
  /** Carries an opened 2FA reset link to the sign-in flow it starts. */
  resetLink: ResetLinkCookie;
  /** The backup method: its setup in the console, its code at sign-in (src/recovery/). */
  backupMethods: BackupMethods;
  /** Tells a backup destination (email or text) about a change to the account. */
  backupNotice: BackupNotice;
  close(): Promise<void>;
}

export interface ContainerOptions {
  /** Use these stores instead of the ones the configuration picks (tests). */
  stores?: Stores;
  clock?: Clock;
  logger?: Logger;
  /** Wraps the password hasher (tests count the verifications). */
  hasher?: (hasher: PasswordHasher) => PasswordHasher;
}

export const VIEWS_DIR = fileURLToPath(new URL('../views', import.meta.url));

/**
 * LATCHKEY_SECRET when set; otherwise, on the embedded store, a secret generated on first
 * start and kept beside the SQLite file (readable by the owner only).
 */
function masterSecret(config: Config): string {
  if (config.secret) return config.secret;
  if (config.dataDir === ':memory:') return randomBytes(32).toString('base64url');
  const file = join(config.dataDir, 'secret.key');
  ensurePrivateDir(config.dataDir);
  if (existsSync(file)) {
    narrowIfExists(file);
    return readFileSync(file, 'utf8').trim();
  }
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}

/**
 * Long-lived records (factors included) in MongoDB when MONGODB_URI is set, provider
 * artifacts, counters and single-use secrets in Redis when REDIS_URL or REDIS_CLUSTER_NODES is set, the rest on
 * the embedded SQLite file (DATA_DIR=':memory:' keeps it in memory, for tests).
 */
async function pickStores(config: Config, logger: Logger): Promise<Stores> {
  const sqlite =
    config.mongodbUri && config.redis
      ? undefined
      : createSqliteStores(config.dataDir === ':memory:' ? ':memory:' : join(config.dataDir, 'latchkey.sqlite'));
  // Loaded only when configured: mongoose alone costs ~30 MB of memory on the embedded store.
  const longLived = config.mongodbUri
    ? (await import('./store/mongo/index.js')).createMongoStores(config.mongodbUri, { logger })
    : sqlite!;
  const shortLived = config.redis
    ? (await import('./store/redis/index.js')).createRedisStores({
        url: config.redisUrl,
        clusterNodes: config.redisClusterNodes,
        keyPrefix: config.redisKeyPrefix,
        logger,
      })
    : sqlite!;
  return composeStores(longLived, shortLived);
}

/** The composition root: every collaborator is built and wired here, nowhere else. */
export async function buildContainer(config: Config, options: ContainerOptions = {}): Promise<Container> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const picked = options.stores ?? (await pickStores(config, logger));
  // Every client write of this process waits out the client cache's version reuse window
  // before it returns (client-cache.ts), so that it applies at once on every instance.
  const stores: Stores = { ...picked, clients: settleClientWrites(picked.clients) };
  try {
    const secret = masterSecret(config);
    const box = createSecretBox(secret);
    const views = createViews(VIEWS_DIR);
    const delivery = createDelivery({ config, logger, clock, templatesDir: join(VIEWS_DIR, 'messages') });
    const https = config.issuer.startsWith('https:');
    const csrf = createCsrf(deriveKey(secret, 'csrf'), { secure: https });
    const keys = await loadProviderKeys(stores.secrets, box);
    const provider = createProvider({ issuer: config.issuer, keys, box, stores, views, clock, firstParty: consoleClient(config.issuer) });
    const hasher = options.hasher ? options.hasher(argon2Hasher()) : argon2Hasher();

    const codeHasher = createCodeHasher(secret);
    const codes = createOneTimeCodes({ oneTime: stores.oneTime, hasher: codeHasher, clock });
    const passwordPolicy = createPasswordPolicy();
    const audit = createAudit({ store: stores.audit, clock, logger });
    // A factor whose wrong answers start a wait is audited (who and where are not known down there).
    const factorLimits = createFactorLimits({ counters: stores.counters, clock, onLocked: (accountId, factorKey) => audit.record(accountId, 'factor.locked', { actor: 'system' }, factorKey) });
    const webauthn = webauthnFactor({ factors: stores.factors, oneTime: stores.oneTime, limits: factorLimits, box, issuer: config.issuer, rpName: 'Latchkey', clock });
    const backupMethods = createBackupMethods({ store: stores.backupMethods, factors: stores.factors, codes, limits: factorLimits, mail: delivery.mail, phone: delivery.phone, clock });
    const backupNotice = createBackupNotice({ mail: delivery.mail, phone: delivery.phone, clock, logger });
    const factorModules = [
      totpFactor({ factors: stores.factors, box, limits: factorLimits, issuerName: issuerName(config.issuer) }),
      webauthn,
      phoneFactor({ factors: stores.factors, codes, limits: factorLimits, phone: delivery.phone, checkNumber: backupPhoneCheck(stores.backupMethods) }),
      emailFactor({ factors: stores.factors, codes, limits: factorLimits, mail: delivery.mail }),
    ];
    const factorRegistry = createFactorRegistry({
      factors: stores.factors,
      modules: factorModules,
      recovery: createRecoveryCodes({ store: stores.recoveryCodes, hasher: codeHasher, limits: factorLimits }),
    });
    const notifier = createSecurityNotifier({ mail: delivery.mail, clock, logger });

    const resetLink = createResetLinkCookie({ box, secure: https });
    const twoFactorReset = createTwoFactorReset({
      accounts: stores.accounts,
      factors: stores.factors,
      backupMethods: stores.backupMethods,
      recovery: factorRegistry.recovery(),
      oneTime: stores.oneTime,
      codeHasher,
      mail: delivery.mail,
      notifier,
      backupNotice,
      audit,
      clock,
    });
    const signIn = createPasswordSignIn({ accounts: stores.accounts, counters: stores.counters, hasher, audit, clock, logger });
    const signUp = createSignUp({ accounts: stores.accounts, hasher, passwords: passwordPolicy, codes, limits: factorLimits, mail: delivery.mail, logger });
    const passwordReset = createPasswordReset({
      accounts: stores.accounts,
      oneTime: stores.oneTime,
      counters: stores.counters,
      codeHasher,
      hasher,
      passwords: passwordPolicy,
      mail: delivery.mail,
      notifier,
      audit,
      clock,
      logger,
    });
    const deviceCookie = createDeviceCookie(createDeviceTokens({ key: deriveKey(secret, 'device-token'), clock }), { secure: https });
    const subscriptions = createSubscriptions({
      store: stores.subscriptions,
      accounts: stores.accounts,
      oneTime: stores.oneTime,
      counters: stores.counters,
      codeHasher,
      mail: delivery.mail,
      clock,
      logger,
    });
    return {
      config,
      logger,
      clock,
      stores,
      views,
      csrf,
      provider,
      hasher,
      signIn,
      deviceCookie,
      accounts: createAccountService({ accounts: stores.accounts, hasher, passwords: passwordPolicy }),
      clients: createClientService({ clients: stores.clients, provider, box }),
      delivery,
      box,
      factorModules,
      factorRegistry,
      webauthn,
      notifier,
      signInFlow: createSignInDispatcher({
        provider,
        views,
        csrf,
        passwords: signIn,
        deviceCookie,
        accounts: stores.accounts,
        registry: factorRegistry,
        passkeys: webauthn,
        box,
        notifier,
        signUp,
        subscriptions,
        emailVerification: createEmailVerification({ accounts: stores.accounts, codes, limits: factorLimits, mail: delivery.mail, logger }),
        backupMethods,
        twoFactorReset,
        resetLink,
        audit,
        clock,
        logger,
      }),
      passwordReset,
      subscriptions,
      audit,
      twoFactorReset,
      resetLink,
      backupMethods,
      backupNotice,
      close: async () => {
        delivery.close();
        await stores.close();
      },
    };
  } catch (error) {
    await stores.close();
    throw error;
  }
}
