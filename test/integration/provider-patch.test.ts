import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PATCH_MARK, patchedProviderFile, providerPatched } from '../../src/oidc/provider-patch.js';
import type { ClientMetadata } from '../../src/store/ports.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { clientCredentials, postAs } from '../support/token-endpoint.js';

/**
 * Latchkey installs node-oidc-provider with patches/oidc-provider+*.patch applied (patch-package,
 * on npm install): each request's `ctx.oidc` is a read-only value instead of a getter closing
 * over the request. With the getter, every finished request stayed reachable through V8's
 * scavenges and was promoted to the old generation (see docs/architecture.md, "Dependency
 * patches"). If an install skipped the patch, the provider still works but this fails.
 */
describe('node-oidc-provider as Latchkey installs it (patches/)', () => {
  let app: TestApp;
  let machine: ClientMetadata;
  beforeAll(async () => {
    app = await startTestApp();
    machine = await app.container.clients.create({ name: 'Reports', redirectUris: [], grantTypes: ['client_credentials'] });
  });
  afterAll(() => app.close());

  test('ctx.oidc is a read-only value on success and on refusal, and the token endpoint answers as before', async () => {
    const seen: { event: string; descriptor?: PropertyDescriptor; route?: string }[] = [];
    const record = (event: string) => (ctx: object) => {
      const descriptor = Object.getOwnPropertyDescriptor(ctx, 'oidc');
      seen.push({ event, descriptor, route: (descriptor?.value as { route?: string } | undefined)?.route });
    };
    app.container.provider.on('grant.success', record('grant.success'));
    app.container.provider.on('grant.error', record('grant.error'));

    const issued = await clientCredentials(app, machine);
    expect(issued.status).toBe(200);
    expect(issued.body.token_type).toBe('Bearer');
    const refused = await clientCredentials(app, machine, 'not-the-secret');
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');

    expect(seen.map((s) => s.event)).toEqual(['grant.success', 'grant.error']);
    for (const { descriptor, route } of seen) {
      expect(descriptor?.get).toBeUndefined();
      expect(descriptor?.writable).toBe(false);
      expect(descriptor?.configurable).toBe(false);
      expect(route).toBe('token');
    }
  });

  /**
   * The patch also joins the lists in node-oidc-provider's error messages itself: its two
   * Intl.ListFormat objects, made at import, paged ~4 MB of ICU locale data into every
   * process for messages only a malformed request sees.
   */
  test('lists in error messages read as Intl.ListFormat("en") writes them, without making one', async () => {
    const formattersUrl = pathToFileURL(join(patchedProviderFile(), '..', 'formatters.js')).href;
    const { formatList } = (await import(formattersUrl)) as {
      formatList: (list: string[], options?: { type?: 'conjunction' | 'disjunction' }) => string;
    };
    for (const type of ['conjunction', 'disjunction'] as const) {
      const icu = new Intl.ListFormat('en', { type });
      for (const list of [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c', 'd', 'e']]) {
        expect(formatList(list, { type })).toBe(icu.format(list.map((w) => `'${w}'`)));
      }
    }

    // A fresh process, Intl.ListFormat counted before the provider's module is imported.
    const counted = `let made = 0;
      const ListFormat = Intl.ListFormat;
      Intl.ListFormat = class extends ListFormat { constructor(...args) { super(...args); made += 1; } };
      const { formatList } = await import(${JSON.stringify(formattersUrl)});
      formatList(['a', 'b', 'c']);
      formatList(['a', 'b'], { type: 'disjunction' });
      console.log(made);`;
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', counted], { encoding: 'utf8' }).trim()).toBe('0');

    const rp = await app.container.clients.create({ name: 'Web', redirectUris: ['https://rp.example/cb'], grantTypes: ['authorization_code'] });
    const missing = await postAs(app, rp, '/token', { grant_type: 'authorization_code' });
    expect(missing.status).toBe(400);
    expect(missing.body.error_description).toBe("missing required parameters 'code' and 'redirect_uri'");
    const one = await postAs(app, rp, '/token', { grant_type: 'authorization_code', code: 'x' });
    expect(one.body.error_description).toBe("missing required parameter 'redirect_uri'");
  });
});

describe('the start-up check for the patch (main.ts warns when it is missing)', () => {
  test('finds the patch in this install, and not in a copy without it or in a missing file', () => {
    expect(providerPatched()).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-patch-'));
    try {
      const unpatched = join(dir, 'initialize_app.js');
      const source = readFileSync(patchedProviderFile(), 'utf8');
      writeFileSync(unpatched, source.split('\n').filter((line) => !line.includes(PATCH_MARK)).join('\n'));
      expect(providerPatched(unpatched)).toBe(false);
      expect(providerPatched(join(dir, 'missing.js'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
