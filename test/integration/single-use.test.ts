import * as oidc from 'openid-client';
import type { ClientMetadata } from '../../src/store/ports.js';
import { createUser, type TestApp } from '../support/app.js';
import { appBackends } from '../support/backends.js';
import { Browser } from '../support/browser.js';
import { approveDeviceThroughBrowser } from '../support/device.js';
import { authorizationRequest, discover, exchangeCode, REDIRECT_URI, registerWebClient, signInThroughBrowser } from '../support/rp.js';
import { inParallel, introspect, postAs, type EndpointAnswer } from '../support/token-endpoint.js';

const backends = await appBackends('single use', { instances: 1 });

const PARALLEL = 50;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

function tally(answers: EndpointAnswer[]) {
  return {
    ok: answers.filter((a) => a.status === 200),
    invalidGrant: answers.filter((a) => a.status === 400 && a.body.error === 'invalid_grant'),
  };
}

describe.each(backends)('single-use artifacts under $name', ({ start }) => {
  let app: TestApp;
  let close: () => Promise<void>;
  let client: ClientMetadata;
  let config: oidc.Configuration;

  beforeAll(async () => {
    ({ apps: [app], close } = await start());
    await createUser(app);
    client = await registerWebClient(app);
    config = await discover(app, client);
  });
  afterAll(() => close());

  /** A fresh authorization code for `client`, with the PKCE verifier it was requested with. */
  async function freshCode(): Promise<{ code: string; verifier: string; attempt: Awaited<ReturnType<typeof authorizationRequest>>; callback: URL }> {
    const attempt = await authorizationRequest(config);
    const callback = await signInThroughBrowser(new Browser(app.url), attempt.url, 'ada@example.com');
    return { code: callback.searchParams.get('code')!, verifier: attempt.verifier, attempt, callback };
  }

  test(`an authorization code redeemed ${PARALLEL} times at once: one token response, the rest invalid_grant, and the grant is revoked`, async () => {
    const { code, verifier } = await freshCode();
    const answers = await inParallel(PARALLEL, () =>
      postAs(app, client, '/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
    );
    const { ok, invalidGrant } = tally(answers);
    expect({ ok: ok.length, invalidGrant: invalidGrant.length }).toEqual({ ok: 1, invalidGrant: PARALLEL - 1 });

    // RFC 6749 4.1.2: the reuse revokes what the code was exchanged for.
    const winner = ok[0]!.body as { access_token: string; refresh_token: string };
    expect((await introspect(app, client, winner.access_token)).active).toBe(false);
    const refresh = await postAs(app, client, '/token', { grant_type: 'refresh_token', refresh_token: winner.refresh_token });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test('a code redeemed once, then again, is refused the second time and the first tokens stop working', async () => {
    // The sequential case: the control for the race above (one 200 is not a constant).
    const { code, verifier } = await freshCode();
    const params = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    const first = await postAs(app, client, '/token', params);
    expect(first.status).toBe(200);
    expect((await introspect(app, client, first.body.access_token as string)).active).toBe(true);
    expect(await postAs(app, client, '/token', params)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await introspect(app, client, first.body.access_token as string)).active).toBe(false);
  });

  test(`a refresh token used ${PARALLEL} times at once: exactly one new token pair`, async () => {
    const { attempt, callback } = await freshCode();
    const tokens = await exchangeCode(config, attempt, callback);
    const answers = await inParallel(PARALLEL, () =>
      postAs(app, client, '/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }),
    );
    const { ok, invalidGrant } = tally(answers);
    expect({ ok: ok.length, invalidGrant: invalidGrant.length }).toEqual({ ok: 1, invalidGrant: PARALLEL - 1 });
    // The reuse revoked the grant: the rotated refresh token is dead too.
    const rotated = ok[0]!.body.refresh_token as string;
    expect(rotated).toEqual(expect.any(String));
    expect((await introspect(app, client, rotated)).active).toBe(false);
  });

  test(`an approved device code polled ${PARALLEL} times at once: exactly one token response`, async () => {
    const tv = await app.container.clients.create({ name: 'TV', redirectUris: [], grantTypes: [DEVICE_GRANT, 'refresh_token'], public: true });
    const tvConfig = await discover(app, tv);
    const device = await oidc.initiateDeviceAuthorization(tvConfig, { scope: 'openid' });
    const done = await approveDeviceThroughBrowser(new Browser(app.url), device.verification_uri, device.user_code, 'ada@example.com');
    expect(done.text).toContain('<h1>Device connected</h1>');

    const answers = await inParallel(PARALLEL, () => postAs(app, tv, '/token', { grant_type: DEVICE_GRANT, device_code: device.device_code }));
    const { ok, invalidGrant } = tally(answers);
    expect({ ok: ok.length, invalidGrant: invalidGrant.length }).toEqual({ ok: 1, invalidGrant: PARALLEL - 1 });
  });
});
