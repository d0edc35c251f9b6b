import type { ClientMetadata } from '../../src/store/ports.js';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { authorizationRequest, discover, exchangeCode, registerWebClient, signInThroughBrowser } from '../support/rp.js';
import { introspect, postAs } from '../support/token-endpoint.js';

describe('token privacy: a client sees and revokes only its own tokens', () => {
  let app: TestApp;
  let a: ClientMetadata;
  let b: ClientMetadata;
  let resourceServer: ClientMetadata;

  beforeAll(async () => {
    app = await startTestApp();
    await createUser(app);
    a = await registerWebClient(app);
    b = await registerWebClient(app);
    resourceServer = await app.container.clients.create({ name: 'Orders API', redirectUris: [], grantTypes: ['client_credentials'], resourceServer: true });
  });
  afterAll(() => app.close());

  /** A signed-in user's access and refresh tokens for client A. */
  async function tokensOfA() {
    const config = await discover(app, a);
    const attempt = await authorizationRequest(config);
    const callback = await signInThroughBrowser(new Browser(app.url), attempt.url, 'ada@example.com');
    const tokens = await exchangeCode(config, attempt, callback);
    return { access: tokens.access_token, refresh: tokens.refresh_token! };
  }

  test("client B introspecting A's access and refresh tokens learns nothing; A itself sees them active", async () => {
    const { access, refresh } = await tokensOfA();
    expect(await introspect(app, a, access)).toMatchObject({ active: true, client_id: a.client_id });
    expect(await introspect(app, a, refresh, 'refresh_token')).toMatchObject({ active: true, client_id: a.client_id });
    expect(await introspect(app, b, access)).toEqual({ active: false });
    expect(await introspect(app, b, refresh, 'refresh_token')).toEqual({ active: false });
  });

  test("client B revoking A's tokens has no effect, and gets the same answer as for an unknown token", async () => {
    const { access, refresh } = await tokensOfA();
    for (const token of [access, refresh]) {
      expect(await postAs(app, b, '/token/revocation', { token })).toEqual({ status: 200, body: {} });
    }
    expect(await postAs(app, b, '/token/revocation', { token: 'never-issued' })).toEqual({ status: 200, body: {} });
    expect((await introspect(app, a, access)).active).toBe(true);
    expect((await introspect(app, a, refresh)).active).toBe(true);

    // A can revoke its own token (the policy is not a blanket "no").
    expect((await postAs(app, a, '/token/revocation', { token: access })).status).toBe(200);
    expect((await introspect(app, a, access)).active).toBe(false);
  });

  test("a registered resource server introspects A's access token, not its refresh token", async () => {
    const { access, refresh } = await tokensOfA();
    expect(await introspect(app, resourceServer, access)).toMatchObject({ active: true, client_id: a.client_id, scope: expect.stringContaining('openid') });
    expect(await introspect(app, resourceServer, refresh, 'refresh_token')).toEqual({ active: false });

    // Client-credentials access tokens of other clients too.
    const machine = await app.container.clients.create({ name: 'Billing', redirectUris: [], grantTypes: ['client_credentials'] });
    const cc = await postAs(app, machine, '/token', { grant_type: 'client_credentials' });
    expect(cc.status).toBe(200);
    expect(await introspect(app, resourceServer, cc.body.access_token as string)).toMatchObject({ active: true, client_id: machine.client_id });
    expect(await introspect(app, b, cc.body.access_token as string)).toEqual({ active: false });

    // Once no longer a resource server, it is an ordinary client again.
    await app.container.clients.update(resourceServer.client_id, { resourceServer: false });
    expect(await introspect(app, resourceServer, access)).toEqual({ active: false });
    await app.container.clients.update(resourceServer.client_id, { resourceServer: true });
  });
});

describe('client_credentials only for confidential clients', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test('registering or updating a public client with client_credentials is refused with the reason', async () => {
    await expect(
      app.container.clients.create({ name: 'SPA', redirectUris: [], grantTypes: ['client_credentials'], public: true }),
    ).rejects.toMatchObject({ code: 'public_client_credentials', status: 400 });
    const spa = await app.container.clients.create({ name: 'SPA', redirectUris: ['https://spa.example/cb'], public: true });
    await expect(app.container.clients.update(spa.client_id, { grantTypes: ['authorization_code', 'client_credentials'] })).rejects.toMatchObject({
      code: 'public_client_credentials',
    });
    await expect(app.container.clients.create({ name: 'API', redirectUris: [], public: true, resourceServer: true })).rejects.toMatchObject({
      code: 'public_resource_server',
    });
  });

  test('a public client stored with client_credentials (an old record) never gets a client_credentials token', async () => {
    // Written straight to the store, past the service's rules, as an older version could have.
    const legacy = {
      client_id: 'legacy-public-machine',
      client_name: 'Legacy',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'none',
      latchkey_resource_server: true,
    };
    await app.container.stores.clients.create(legacy);
    const answer = await postAs(app, legacy, '/token', { grant_type: 'client_credentials' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
    expect(answer.body.access_token).toBeUndefined();

    // The control: the same record with a secret (confidential) does get one.
    const confidential = await app.container.clients.create({ name: 'Machine', redirectUris: [], grantTypes: ['client_credentials'] });
    expect((await postAs(app, confidential, '/token', { grant_type: 'client_credentials' })).status).toBe(200);
  });
});
