import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../support/app.js';
import { discover } from '../support/rp.js';

describe('client credentials grant driven by openid-client', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const registerService = () =>
    app.container.clients.create({ name: 'Billing service', redirectUris: [], grantTypes: ['client_credentials'] });

  test('a machine client gets an access token that introspects active with its client_id', async () => {
    const client = await registerService();
    expect(client.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(client.response_types).toEqual([]);
    const config = await discover(app, client);
    expect(config.serverMetadata().grant_types_supported).toContain('client_credentials');

    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.expires_in).toBe(600);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.id_token).toBeUndefined();

    const introspection = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspection.active).toBe(true);
    expect(introspection.client_id).toBe(client.client_id);
    expect(introspection.token_type).toBe('Bearer');
    expect(introspection.sub).toBeUndefined();

    // A token that was never issued is inactive (the introspection is not a constant "true").
    expect((await oidc.tokenIntrospection(config, 'not-a-token')).active).toBe(false);
  });

  test('a wrong client secret is refused with invalid_client', async () => {
    const client = await registerService();
    const config = await discover(app, { ...client, client_secret: 'not-the-secret' });
    await expect(oidc.clientCredentialsGrant(config)).rejects.toMatchObject({ error: 'invalid_client', status: 401 });

    // The same over HTTP Basic, the registered method.
    const basic = await oidc.discovery(new URL(app.url), client.client_id, undefined, oidc.ClientSecretBasic('not-the-secret'), {
      execute: [oidc.allowInsecureRequests],
    });
    // Over Basic the provider answers 401 with the error in the WWW-Authenticate challenge.
    await expect(oidc.clientCredentialsGrant(basic)).rejects.toMatchObject({
      code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      status: 401,
      cause: [{ scheme: 'basic', parameters: { error: 'invalid_client', error_description: 'client authentication failed' } }],
    });

    // The right secret over Basic works, so the refusals above are about the secret alone.
    const good = await oidc.discovery(
      new URL(app.url),
      client.client_id,
      undefined,
      oidc.ClientSecretBasic(client.client_secret as string),
      { execute: [oidc.allowInsecureRequests] },
    );
    expect((await oidc.clientCredentialsGrant(good)).access_token).toEqual(expect.any(String));
  });

  // node-oidc-provider answers invalid_request (not RFC 6749's unauthorized_client) here.
  test('a client not registered for client_credentials is refused', async () => {
    const web = await app.container.clients.create({
      name: 'Web RP',
      redirectUris: ['https://rp.example/callback'],
      grantTypes: ['authorization_code'],
    });
    const config = await discover(app, web);
    await expect(oidc.clientCredentialsGrant(config)).rejects.toMatchObject({
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
      status: 400,
    });
  });
});
