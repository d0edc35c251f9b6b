import type { AccountStore, OidcArtifactStore } from '../../src/store/ports.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { openSignIn } from '../support/flow.js';
import { authorizationRequest, discover, registerWebClient } from '../support/rp.js';
import { postAs } from '../support/token-endpoint.js';

/** A refresh token of `accountId` for `clientId`, minted with the provider's own models (as a code exchange would). */
async function refreshTokenFor(app: TestApp, accountId: string, clientId: string, authTime = Math.floor(Date.now() / 1000)) {
  const { provider } = app.container;
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope('openid email offline_access');
  const grantId = await grant.save();
  const client = await provider.Client.find(clientId);
  if (!client) throw new Error(`no client ${clientId}`);
  const token = new provider.RefreshToken({ accountId, client, grantId, scope: 'openid email offline_access', gty: 'authorization_code', authTime });
  return token.save();
}

describe('reads and writes per request: one account read per token request, one interaction save per sign-in page', () => {
  let app: TestApp;
  const reads = { findById: 0, interactionSaves: 0 };

  beforeAll(async () => {
    const stores = createSqliteStores(':memory:');
    const accounts: AccountStore = { ...stores.accounts, findById: (id) => (reads.findById++, stores.accounts.findById(id)) };
    const oidc: OidcArtifactStore = {
      ...stores.oidc,
      model(name) {
        const model = stores.oidc.model(name);
        if (name !== 'Interaction') return model;
        return { ...model, upsert: (id, payload, expiresIn) => (reads.interactionSaves++, model.upsert(id, payload, expiresIn)) };
      },
    };
    app = await startTestApp({ stores: { ...stores, accounts, oidc } });
  });
  afterAll(() => app.close());

  test('a rotating refresh reads the account once, and still answers with its current claims', async () => {
    const account = await createUser(app);
    const client = await app.container.clients.create({ name: 'RP', redirectUris: ['https://rp.example/cb'], grantTypes: ['authorization_code', 'refresh_token'] });
    const refreshToken = await refreshTokenFor(app, account.id, client.client_id);
    const before = reads.findById;
    const answer = await postAs(app, client, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(answer.status).toBe(200);
    expect(answer.body.refresh_token).toEqual(expect.any(String));
    const claims = JSON.parse(Buffer.from((answer.body.id_token as string).split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: account.id, email: 'ada@example.com' });
    expect(reads.findById - before).toBe(1);
  });

  test('each request reads afresh: a password reset between two refreshes ends the next one', async () => {
    const account = await createUser(app, 'grace@example.com');
    const client = await app.container.clients.create({ name: 'RP 2', redirectUris: ['https://rp.example/cb'], grantTypes: ['authorization_code', 'refresh_token'] });
    const first = await postAs(app, client, '/token', { grant_type: 'refresh_token', refresh_token: await refreshTokenFor(app, account.id, client.client_id, Math.floor(Date.now() / 1000) - 5) });
    expect(first.status).toBe(200);
    await app.container.stores.accounts.updatePassword(account.id, 'not-a-real-hash');
    const second = await postAs(app, client, '/token', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string });
    expect(second).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test('the sign-in page is stored once: the flow starts with its passkey challenge', async () => {
    const client = await registerWebClient(app);
    const attempt = await authorizationRequest(await discover(app, client), 'openid');
    const browser = new Browser(app.url);
    const before = reads.interactionSaves;
    await openSignIn(browser, attempt.url);
    // The provider's own save when /auth starts the interaction, and the flow's one.
    expect(reads.interactionSaves - before).toBe(2);
  });
});
