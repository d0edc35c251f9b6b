import * as oidc from 'openid-client';
import { createUser, startTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { Browser, formAction, inputValue } from '../support/browser.js';
import { discover } from '../support/rp.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe('device authorization grant driven by openid-client', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const registerTv = () =>
    app.container.clients.create({ name: 'Living-room TV', redirectUris: [], grantTypes: [DEVICE_GRANT, 'refresh_token'], public: true });

  /** The form of the given id in a page (the provider's own device forms carry an `xsrf` field). */
  const form = (html: string, id: string) => {
    const match = html.match(new RegExp(`<form id="${id.replace('.', '\\.')}"[\\s\\S]*?</form>`));
    if (!match) throw new Error(`No form ${id} in:\n${html}`);
    return match[0];
  };

  /** One raw poll of the token endpoint, as a device would make it. */
  const pollOnce = async (clientId: string, deviceCode: string) => {
    const res = await fetch(`${app.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('device code → user code in the browser → confirm → sign in → consent → tokens for the account', async () => {
    const account = await createUser(app);
    const client = await registerTv();
    expect(client.token_endpoint_auth_method).toBe('none');
    expect(client.client_secret).toBeUndefined();
    const config = await discover(app, client);
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${app.url}/device/auth`);

    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid email' });
    expect(device.verification_uri).toBe(`${app.url}/device`);
    expect(device.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);

    // Nothing has been approved yet.
    expect(await pollOnce(client.client_id, device.device_code)).toEqual({
      status: 400,
      body: { error: 'authorization_pending', error_description: 'authorization request is still pending as the end-user hasn\'t yet completed the user interaction steps' },
    });

    const browser = new Browser(app.url);
    const input = await browser.get(device.verification_uri);
    expect(input.status).toBe(200);
    expect(input.text).toContain('Enter the code shown on your device.');
    const inputForm = form(input.text, 'op.deviceInputForm');
    const confirm = await browser.post(formAction(inputForm, '/device'), {
      xsrf: inputValue(inputForm, 'xsrf')!,
      user_code: device.user_code.toLowerCase().replace('-', ' '),
    });
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Confirm the device');
    expect(confirm.text).toContain('Living-room TV');
    expect(confirm.text).toContain(`<p class="code">${device.user_code}</p>`);

    // The provider asks to confirm the code before the sign-in; "Connect" posts the form without `abort`.
    const confirmForm = form(confirm.text, 'op.deviceConfirmForm');
    let page = await browser.submit(formAction(confirmForm, '/device'), {
      xsrf: inputValue(confirmForm, 'xsrf')!,
      user_code: inputValue(confirmForm, 'user_code')!,
      confirm: inputValue(confirmForm, 'confirm')!,
    });
    expect(page.status).toBe(200);
    expect(page.url).toMatch(new RegExp(`^${app.url}/interaction/[\\w-]+$`));
    expect(page.text).toContain('<h1>Sign in</h1>');
    expect(page.text).toContain('Living-room TV');

    page = await browser.submit(formAction(page.text, '/login'), {
      _csrf: inputValue(page.text, '_csrf')!,
      email: 'ada@example.com',
      password: TEST_PASSWORD,
    });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Allow access</h1>');
    expect(page.text).toContain('See your email address and whether it is verified');

    page = await browser.submit(formAction(page.text, '/confirm'), { _csrf: inputValue(page.text, '_csrf')! });
    expect(page.status).toBe(200);
    expect(page.url).toMatch(new RegExp(`^${app.url}/device/[\\w-]+$`));
    expect(page.text).toContain('<h1>Device connected</h1>');
    expect(page.text).toContain('Living-room TV is now signed in.');

    const tokens = await oidc.pollDeviceAuthorizationGrant(config, { ...device, interval: 0.01 });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.claims()?.sub).toBe(account.id);
    expect(tokens.claims()?.aud).toBe(client.client_id);
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, account.id);
    expect(userinfo).toEqual({ sub: account.id, email: 'ada@example.com', email_verified: true });

    // The device code is spent.
    await expect(oidc.pollDeviceAuthorizationGrant(config, { ...device, interval: 0.01 })).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('a wrong user code re-renders the input page with an error', async () => {
    const client = await registerTv();
    const config = await discover(app, client);
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });

    const browser = new Browser(app.url);
    const input = await browser.get(device.verification_uri);
    const inputForm = form(input.text, 'op.deviceInputForm');
    const wrong = device.user_code === 'BCDF-GHJK' ? 'KJHG-FDCB' : 'BCDF-GHJK';
    const page = await browser.post(formAction(inputForm, '/device'), { xsrf: inputValue(inputForm, 'xsrf')!, user_code: wrong });
    // node-oidc-provider re-renders user-code mistakes with 200 (ReRenderError), not as an error page.
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Connect a device</h1>');
    expect(page.text).toContain('That code is not valid or has expired. Check it and try again.');
    // The input form is offered again, with a fresh xsrf token, and the typed code kept.
    const again = form(page.text, 'op.deviceInputForm');
    expect(inputValue(again, 'xsrf')).toEqual(expect.any(String));
    expect(again).toContain(`value="${wrong}"`);

    // The device is still waiting, not denied.
    expect(await pollOnce(client.client_id, device.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
  });
});
