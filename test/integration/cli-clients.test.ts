import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientMetadata } from '../../src/store/ports.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { startTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { latchkeyCli, printedJson } from '../support/cli.js';
import { introspect, postAs } from '../support/token-endpoint.js';

describe('latchkey clients: secrets, rotation, updates, resource servers', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cli-clients-'));
  const file = join(dataDir, 'latchkey.sqlite');
  const env = { DATA_DIR: dataDir, LATCHKEY_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
  const latchkey = (...args: string[]) => latchkeyCli(env, ...args);
  /** A server running on the same store while the CLI changes clients under it. */
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ stores: createSqliteStores(file) });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const createMachine = async (...extra: string[]) =>
    printedJson<ClientMetadata>(await latchkey('clients', 'create', '--name', 'Billing', '--grant-type', 'client_credentials', ...extra));
  const clientCredentials = (client: ClientMetadata, secret = client.client_secret as string) =>
    postAs(app, { ...client, client_secret: secret }, '/token', { grant_type: 'client_credentials' });

  test('the secret is printed once at creation, never listed, and stored sealed', async () => {
    const client = await createMachine();
    expect(client.client_secret).toEqual(expect.any(String));
    const listed = printedJson<ClientMetadata[]>(await latchkey('clients', 'list'));
    expect(listed.find((c) => c.client_id === client.client_id)).toBeDefined();
    expect(listed.some((c) => 'client_secret' in c)).toBe(false);
    // The running server accepts it, though the file only holds it sealed.
    expect((await clientCredentials(client)).status).toBe(200);
    const raw = ['', '-wal'].map((suffix) => { try { return readFileSync(file + suffix).toString('latin1'); } catch { return ''; } }).join('');
    expect(raw).toContain(client.client_id);
    expect(raw).not.toContain(client.client_secret as string);
  });

  test('rotate-secret prints a new secret once; the old one is refused at /token at once', async () => {
    const client = await createMachine();
    expect((await clientCredentials(client)).status).toBe(200);

    const rotated = printedJson<{ client_id: string; client_secret: string }>(await latchkey('clients', 'rotate-secret', client.client_id));
    expect(rotated.client_id).toBe(client.client_id);
    expect(rotated.client_secret).toEqual(expect.any(String));
    expect(rotated.client_secret).not.toBe(client.client_secret);

    expect(await clientCredentials(client)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect((await clientCredentials(client, rotated.client_secret)).status).toBe(200);
    expect(printedJson<ClientMetadata[]>(await latchkey('clients', 'list')).some((c) => 'client_secret' in c)).toBe(false);
  });

  test('rotate-secret of an unknown or a public client fails with the reason and a non-zero exit', async () => {
    expect(await latchkey('clients', 'rotate-secret', 'no-such-client')).toEqual({
      code: 1,
      out: '',
      err: 'Error: There is no client with id no-such-client.',
    });
    const spa = printedJson<ClientMetadata>(await latchkey('clients', 'create', '--name', 'SPA', '--redirect-uri', 'https://spa.example/cb', '--public'));
    const run = await latchkey('clients', 'rotate-secret', spa.client_id);
    expect(run.code).toBe(1);
    expect(run.err).toBe(`Error: Client ${spa.client_id} is public: it has no secret to rotate.`);
  });

  test('a public client with client_credentials is refused with the reason and a non-zero exit', async () => {
    const run = await latchkey('clients', 'create', '--name', 'Bad', '--public', '--grant-type', 'client_credentials');
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^Error: A public client \(no secret\) cannot use the client_credentials grant: that grant authenticates the client by its secret alone/);
    expect(printedJson<ClientMetadata[]>(await latchkey('clients', 'list')).some((c) => c.client_name === 'Bad')).toBe(false);
  });

  test('update changes name, URIs and grant types, keeping the client_id and the secret', async () => {
    const created = printedJson<ClientMetadata>(
      await latchkey('clients', 'create', '--name', 'Shop', '--redirect-uri', 'https://shop.example/cb', '--grant-type', 'authorization_code'),
    );
    const updated = printedJson<ClientMetadata>(
      await latchkey(
        'clients', 'update', created.client_id,
        '--name', 'Shop (new)',
        '--redirect-uri', 'https://shop.example/a', '--redirect-uri', 'https://shop.example/b',
        '--post-logout-redirect-uri', 'https://shop.example/bye',
        '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--grant-type', 'client_credentials',
      ),
    );
    expect(updated).toMatchObject({
      client_id: created.client_id,
      client_name: 'Shop (new)',
      redirect_uris: ['https://shop.example/a', 'https://shop.example/b'],
      post_logout_redirect_uris: ['https://shop.example/bye'],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(updated).not.toHaveProperty('client_secret');
    // The server sees the change, and the secret from creation still authenticates.
    expect((await clientCredentials(created)).status).toBe(200);

    // Options not given are kept.
    expect(printedJson<ClientMetadata>(await latchkey('clients', 'update', created.client_id, '--name', 'Shop 3'))).toMatchObject({
      client_name: 'Shop 3',
      redirect_uris: ['https://shop.example/a', 'https://shop.example/b'],
    });
  });

  test('update refuses invalid metadata and unknown clients with the reason and a non-zero exit', async () => {
    const created = await createMachine();
    const bad = await latchkey('clients', 'update', created.client_id, '--grant-type', 'authorization_code', '--redirect-uri', 'not a url');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^Error: The client registration is invalid: /);
    expect((await clientCredentials(created)).status).toBe(200);

    expect(await latchkey('clients', 'update', 'no-such-client', '--name', 'X')).toMatchObject({
      code: 1,
      err: 'Error: There is no client with id no-such-client.',
    });
    const notBoolean = await latchkey('clients', 'update', created.client_id, '--resource-server', 'maybe');
    expect(notBoolean.code).not.toBe(0);
    expect(notBoolean.err).toContain('Use true or false.');
  });

  test('--resource-server registers a resource server that may introspect other clients\' access tokens', async () => {
    const api = await createMachine('--resource-server');
    expect(api.latchkey_resource_server).toBe(true);
    const other = await createMachine();
    const token = (await clientCredentials(other)).body.access_token as string;
    expect(await introspect(app, api, token)).toMatchObject({ active: true, client_id: other.client_id });

    const demoted = printedJson<ClientMetadata>(await latchkey('clients', 'update', api.client_id, '--resource-server', 'false'));
    expect(demoted).not.toHaveProperty('latchkey_resource_server');
    expect(await introspect(app, api, token)).toEqual({ active: false });

    const promoted = printedJson<ClientMetadata>(await latchkey('clients', 'update', api.client_id, '--resource-server', 'true'));
    expect(promoted.latchkey_resource_server).toBe(true);
    expect((await introspect(app, api, token)).active).toBe(true);
  });
});
