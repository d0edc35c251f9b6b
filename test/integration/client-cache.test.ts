import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientMetadata, ClientStore, Stores } from '../../src/store/ports.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { inParallel, postAs } from '../support/token-endpoint.js';

/** The stores with their client reads counted. */
function countingClientReads(stores: Stores) {
  const counts = { find: 0, version: 0 };
  const clients: ClientStore = {
    ...stores.clients,
    find: (id) => (counts.find++, stores.clients.find(id)),
    version: () => (counts.version++, stores.clients.version()),
  };
  return { stores: { ...stores, clients }, counts };
}

describe('client cache: clients are read once, and every change applies at once on every instance', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-client-cache-'));
  const file = join(dataDir, 'latchkey.sqlite');
  // Two instances on one SQLite file, each with its own connection (as two processes would be).
  let a: TestApp;
  let b: TestApp;
  let readsOfB: { find: number; version: number };

  beforeAll(async () => {
    a = await startTestApp({ stores: createSqliteStores(file) });
    const counted = countingClientReads(createSqliteStores(file));
    readsOfB = counted.counts;
    b = await startTestApp({ stores: counted.stores });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const machine = () => a.container.clients.create({ name: 'Billing', redirectUris: [], grantTypes: ['client_credentials'] });
  const token = (app: TestApp, client: ClientMetadata, secret = client.client_secret as string) =>
    postAs(app, { ...client, client_secret: secret }, '/token', { grant_type: 'client_credentials' });

  test('50 token requests of one client read the client once (the version at least once: the window has unit tests)', async () => {
    const client = await machine();
    const before = { ...readsOfB };
    expect((await token(b, client)).status).toBe(200);
    const answers = await inParallel(49, () => token(b, client));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(readsOfB.find - before.find).toBe(1);
    expect(readsOfB.version - before.version).toBeGreaterThanOrEqual(1);
  });

  test('a secret rotated on one instance is refused on the other at once', async () => {
    const client = await machine();
    expect((await token(b, client)).status).toBe(200);
    const rotated = await a.container.clients.rotateSecret(client.client_id);
    expect(await token(b, client)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect((await token(b, client, rotated.client_secret)).status).toBe(200);
  });

  test('a grant type removed, or the client deleted, on one instance applies on the other at once', async () => {
    const client = await machine();
    expect((await token(b, client)).status).toBe(200);
    await a.container.clients.update(client.client_id, { grantTypes: ['authorization_code'], redirectUris: ['https://rp.example/cb'] });
    expect(await token(b, client)).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' },
    });
    await a.container.clients.delete(client.client_id);
    expect(await token(b, client)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  test('an unknown client id is looked up every time (nothing is remembered for it)', async () => {
    const ghost = { client_id: 'no-such-client', client_secret: 'x' } as ClientMetadata;
    const before = readsOfB.find;
    for (let i = 0; i < 3; i++) expect((await token(b, ghost)).body.error).toBe('invalid_client');
    expect(readsOfB.find - before).toBe(3);
  });
});
