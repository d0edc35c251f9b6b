// The server side of `npm run bench`, run as a child process by scripts/bench.js (so that its
// memory can be read from /proc/<pid>/status apart from the load generator's):
//
//   node scripts/bench-server.js <latchkey|bare> <memory|file|redis|cluster> <dataDir|-> <redisKeyPrefix|->
//
// cluster: a Redis Cluster whose nodes BENCH_REDIS_CLUSTER_NODES lists (host:port,…), as
// REDIS_CLUSTER_NODES for Latchkey. BENCH_TOTP_USERS (default 0) more accounts, each with an
// authenticator app (one shared seed, sent to the parent), for password + TOTP logins.
//
// Listens on a free port of 127.0.0.1 and talks to the parent over the IPC channel:
//   -> { type: 'ready', url, clientId, clientSecret, redirectUri, users, password, totpUsers, totpSeed }
//   <- { type: 'mint', n }      -> { type: 'minted', tokens }  (n single-use refresh tokens)
//   <- { type: 'stop' }         closes the server and the stores, then exits.
//
// latchkey: the real app (buildContainer + buildApp), configured like production through
// loadConfig. bare: node-oidc-provider alone, with the same adapter factory over the same
// store kind, a static client, opaque tokens, served by http.createServer(provider.callback()).

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
// Each side imports only what it loads in real life, so that the RSS comparison is fair
// (Latchkey's container pulls in mongoose, handlebars, pino…; the bare provider does not).

const [impl, storeKind, dataDirArg, prefixArg] = process.argv.slice(2);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLUSTER_NODES = process.env.BENCH_REDIS_CLUSTER_NODES ?? '';
const TOTP_USERS = Number(process.env.BENCH_TOTP_USERS ?? 0);
// RFC 4648 base32, 160 bits: what an authenticator app would hold (shared by the TOTP bench accounts).
const TOTP_SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const REDIRECT_URI = 'https://rp.example/callback';
const PASSWORD = 'correct horse battery staple';
const LOGIN_USERS = 50;
const SECRET = randomBytes(32).toString('base64url');
// The same lifetimes as Latchkey, so that both sides compute the same expiries.
const { PROVIDER_TTL: TTL } = await import('../dist/oidc/ttl.js');

if (!['latchkey', 'bare'].includes(impl) || !['memory', 'file', 'redis', 'cluster'].includes(storeKind)) {
  console.error('usage: bench-server.js <latchkey|bare> <memory|file|redis|cluster> <dataDir|-> <prefix|->');
  process.exit(2);
}

function signingKey(kind) {
  const { privateKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: kind === 'ec' ? 'ES256' : 'RS256' };
}

/** Waits for every backend (Redis: until connected), so that the runs do not start while it connects. */
async function ensureHealthy(stores) {
  const health = await stores.health();
  const down = health.filter((b) => !b.ok);
  if (down.length) throw new Error(`backend down: ${JSON.stringify(down)}`);
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

async function startLatchkey(server, url) {
  const [{ buildApp }, { loadConfig }, { buildContainer }] = await Promise.all([
    import('../dist/app.js'),
    import('../dist/config/load.js'),
    import('../dist/container.js'),
  ]);
  const env = {
    ISSUER: url,
    LOG_LEVEL: 'silent',
    LATCHKEY_SECRET: SECRET,
    // All load comes from one loopback address: the per-IP page limit would measure itself.
    PAGE_RATE_LIMIT: '0',
    // Redis keeps the provider artifacts and counters; the long-lived records stay on SQLite (in memory here).
    DATA_DIR: storeKind === 'file' ? dataDirArg : ':memory:',
    ...(storeKind === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: prefixArg } : {}),
    ...(storeKind === 'cluster' ? { REDIS_CLUSTER_NODES: CLUSTER_NODES, REDIS_KEY_PREFIX: prefixArg } : {}),
  };
  const container = await buildContainer(loadConfig(env));
  await ensureHealthy(container.stores);
  server.on('request', buildApp(container).callback());
  const client = await container.clients.create({
    name: 'Bench RP',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  });
  // One argon2 hash shared by every bench account (creating each through the account service would hash each).
  const passwordHash = await container.hasher.hash(PASSWORD);
  const users = [];
  for (let i = 0; i < LOGIN_USERS; i++) {
    const email = `user${i}@bench.example`;
    const account = await container.stores.accounts.create({ email, emailVerified: true, name: `User ${i}`, passwordHash });
    await container.stores.consents.grant(account.id, client.client_id, ['openid']);
    users.push(email);
  }
  // Password + authenticator app: each login uses an account of its own, since a TOTP time
  // step is accepted once per account (30 s) and the runs are far faster than that.
  const totpUsers = [];
  const sealedSeed = container.box.seal(TOTP_SEED, 'factor.totp.seed');
  for (let i = 0; i < TOTP_USERS; i++) {
    const email = `totp${i}@bench.example`;
    const account = await container.stores.accounts.create({ email, emailVerified: true, name: `TOTP ${i}`, passwordHash });
    await container.stores.factors.create({ accountId: account.id, kind: 'totp', label: 'Authenticator app', data: { seed: sealedSeed }, counter: 0 }, Date.now());
    await container.stores.consents.grant(account.id, client.client_id, ['openid']);
    totpUsers.push(email);
  }
  const refreshAccount = await container.stores.accounts.create({
    email: 'refresh@bench.example',
    emailVerified: true,
    name: 'Refresh',
    passwordHash,
  });
  return {
    provider: container.provider,
    client,
    users,
    totpUsers,
    refreshAccountId: refreshAccount.id,
    close: () => container.close(),
  };
}

async function startBare(server, url) {
  const [{ default: Provider }, { createAdapterFactory }, { createSecretBox }, { composeStores }, { createSqliteStores }] = await Promise.all([
    import('oidc-provider'),
    import('../dist/oidc/adapter.js'),
    import('../dist/crypto/secret-box.js'),
    import('../dist/store/compose.js'),
    import('../dist/store/sqlite/index.js'),
  ]);
  const redisKind = storeKind === 'redis' || storeKind === 'cluster';
  const { createRedisStores } = redisKind ? await import('../dist/store/redis/index.js') : {};
  const sqlite = createSqliteStores(storeKind === 'file' ? join(dataDirArg, 'bare.sqlite') : ':memory:');
  const clusterNodes = CLUSTER_NODES.split(',').filter(Boolean).map((node) => {
    const [host, port] = node.split(':');
    return { host, port: Number(port) };
  });
  const stores = redisKind
    ? composeStores(
        sqlite,
        createRedisStores(storeKind === 'cluster' ? { clusterNodes, keyPrefix: prefixArg } : { url: REDIS_URL, keyPrefix: prefixArg }),
      )
    : sqlite;
  const client = {
    client_id: randomBytes(16).toString('base64url'),
    client_secret: randomBytes(32).toString('base64url'),
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  };
  const provider = new Provider(url, {
    adapter: createAdapterFactory(stores.oidc, stores.clients, createSecretBox(randomBytes(32).toString('base64url'))),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    clients: [client],
    // What the default findAccount does (no store read), without its warning.
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    jwks: { keys: [signingKey('ec'), signingKey('rsa')] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: TTL,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
    },
  });
  await ensureHealthy(stores);
  const { default: argon2 } = await import('argon2');
  const users = await bareAccounts(stores.accounts, argon2);
  const callback = provider.callback();
  server.on('request', (req, res) => (req.url.startsWith('/interaction/') ? bareLogin(provider, stores.accounts, argon2, req, res) : callback(req, res)));
  return { provider, client, users, totpUsers: [], refreshAccountId: 'bench-account', close: () => stores.close() };
}

/** The same login accounts as Latchkey's side: one argon2id hash (Latchkey's parameters) shared by all. */
async function bareAccounts(accounts, argon2) {
  const { ARGON2_PARAMS } = await import('../dist/accounts/password.js');
  const passwordHash = await argon2.hash(PASSWORD, ARGON2_PARAMS);
  const users = [];
  for (let i = 0; i < LOGIN_USERS; i++) {
    const email = `user${i}@bench.example`;
    await accounts.create({ email, emailVerified: true, name: `User ${i}`, passwordHash });
    users.push(email);
  }
  return users;
}

/**
 * The smallest password login node-oidc-provider allows, as its own examples do it: the
 * interaction page is a bare form (a random _csrf field, so that the bench's browser finds one,
 * never checked); the POST looks the account up, verifies the password with argon2id, grants
 * the openid scope and finishes the interaction (303 back to the authorization endpoint). No
 * CSRF check, throttling, audit, second factor or templates: the baseline Latchkey's full
 * sign-in is compared with.
 */
async function bareLogin(provider, accounts, argon2, req, res) {
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${details.uid}/login">` +
          `<input type="hidden" name="_csrf" value="${randomBytes(16).toString('base64url')}">` +
          '<input name="email"><input name="password" type="password"><button>Sign in</button></form>',
      );
      return;
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const fields = new URLSearchParams(body);
    const account = await accounts.findByEmail(fields.get('email') ?? '');
    if (!account?.passwordHash || !(await argon2.verify(account.passwordHash, fields.get('password') ?? ''))) {
      res.statusCode = 401;
      res.end('wrong email or password');
      return;
    }
    const grant = new provider.Grant({ accountId: account.id, clientId: details.params.client_id });
    grant.addOIDCScope('openid');
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: account.id }, consent: { grantId } }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.statusCode = 500;
    res.end(String(error?.message ?? error));
  }
}

/** n refresh tokens, each in its own grant, minted directly with the provider's models. */
async function mint(app, n) {
  const { provider, client } = app;
  const oidcClient = await provider.Client.find(client.client_id);
  const one = async () => {
    const grant = new provider.Grant({ accountId: app.refreshAccountId, clientId: client.client_id });
    grant.addOIDCScope('openid offline_access');
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId: app.refreshAccountId,
      client: oidcClient,
      grantId,
      scope: 'openid offline_access',
      gty: 'authorization_code',
      authTime: Math.floor(Date.now() / 1000),
    });
    return token.save();
  };
  const tokens = [];
  for (let i = 0; i < n; i += 200) {
    tokens.push(...(await Promise.all(Array.from({ length: Math.min(200, n - i) }, one))));
  }
  return tokens;
}

const server = createServer();
server.keepAliveTimeout = 30_000;
const url = await listen(server);
const app = impl === 'latchkey' ? await startLatchkey(server, url) : await startBare(server, url);

// The parent went away (Ctrl-C, crash): do not linger as an orphan holding a port.
process.on('disconnect', () => process.exit(0));

process.on('message', async (message) => {
  try {
    if (message.type === 'mint') {
      process.send({ type: 'minted', tokens: await mint(app, message.n) });
    } else if (message.type === 'stop') {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
      process.disconnect();
      process.exit(0);
    }
  } catch (error) {
    process.send({ type: 'error', message: error.stack ?? String(error) });
  }
});

process.send({
  type: 'ready',
  url,
  clientId: app.client.client_id,
  clientSecret: app.client.client_secret,
  redirectUri: REDIRECT_URI,
  users: app.users,
  password: PASSWORD,
  totpUsers: app.totpUsers,
  totpSeed: TOTP_SEED,
});
