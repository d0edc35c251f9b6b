import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import Router from '@koa/router';
import Handlebars from 'handlebars';
import Koa from 'koa';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import type { Clock } from '../../src/clock.js';
import { VIEWS_DIR } from '../../src/container.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { AppError } from '../../src/errors.js';
import { createFactorLimits } from '../../src/factors/attempts.js';
import type { FactorEnv } from '../../src/factors/factor.js';
import { webauthnFactor, type WebAuthnFactor } from '../../src/factors/webauthn/factor.js';
import { assetRoutes } from '../../src/http/assets.js';
import { formBody } from '../../src/http/form-body.js';
import { securityHeaders } from '../../src/http/security-headers.js';
import { message } from '../../src/messages.js';
import type { Account, Stores } from '../../src/store/ports.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { addVirtualAuthenticator, collectBrowserErrors, expectAccessible, launchChromium } from '../support/chromium.js';

/**
 * The WebAuthn ceremonies in a real browser: Chromium's virtual authenticator (DevTools
 * protocol) against the real module, the real partials, layout and scripts, under the app's
 * CSP. The pages are a small Koa app of this test (the sign-in pages wire the factor in
 * themselves); the pending state that the flow keeps sealed is kept in memory here.
 *
 * WebAuthn refuses IP addresses as RP IDs, so the issuer is http://localhost:PORT (a secure
 * context, like https).
 *
 * Needs Chromium: Debian's package `chromium` (/usr/bin/chromium), or CHROMIUM_PATH.
 */
/** The test pages: each shows one partial inside the real layout, or the outcome of a POST. */
const PAGES: Record<string, string> = {
  register: '<h1>Add a security key</h1>{{> webauthn-register formAction="/register"}}',
  verify: '<h1>Two-factor authentication</h1>{{> webauthn-authenticate formAction="/verify"}}',
  // The username field offers passkeys in its autofill (conditional mediation) when it says "webauthn".
  login: `<h1>Sign in</h1>
<form method="post" action="/password" novalidate>
  <label for="email">Email address</label>
  <input id="email" name="email" type="email" autocomplete="username{{#if autofill}} webauthn{{/if}}">
  <button type="submit">Continue</button>
</form>
{{> webauthn-authenticate formAction="/login" passkey=true}}`,
  outcome: '<h1>{{heading}}</h1><pre id="outcome">{{outcome}}</pre>',
};

function createTestViews(): (page: string, data: Record<string, unknown>) => string {
  const hbs = Handlebars.create();
  const dir = join(VIEWS_DIR, 'partials');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs'))) hbs.registerPartial(basename(file, '.hbs'), readFileSync(join(dir, file), 'utf8'));
  const layout = hbs.compile(readFileSync(join(VIEWS_DIR, 'layout.hbs'), 'utf8'));
  const pages = new Map(Object.entries(PAGES).map(([name, source]) => [name, hbs.compile(source)]));
  return (page, data) => layout({ ...data, title: page, body: pages.get(page)!(data) });
}

interface Harness {
  server: Server;
  url: string;
  stores: Stores;
  webauthn: WebAuthnFactor;
  ada: Account;
}

async function startHarness(): Promise<Harness> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  const stores = createSqliteStores(':memory:');
  const clock: Clock = { now: () => Date.now() };
  const webauthn = webauthnFactor({
    factors: stores.factors,
    oneTime: stores.oneTime,
    limits: createFactorLimits({ counters: stores.counters, clock }),
    box: createSecretBox('e2e-test-secret-e2e-test-secret-0123456'),
    issuer: url,
    rpName: 'Latchkey',
    clock,
  });
  const ada = await stores.accounts.create({ email: 'ada@example.com', emailVerified: true, name: 'Ada Lovelace', passwordHash: 'x' });
  const render = createTestViews();
  const env = (): FactorEnv => ({ account: ada, ip: '127.0.0.1', now: clock.now() });
  // What the sign-in flow would keep sealed in the interaction, one slot per ceremony.
  const pending: Record<string, Record<string, unknown> | undefined> = {};
  const body = (ctx: Koa.Context) => (ctx.request as unknown as { body: Record<string, string> }).body;
  const webauthnFactorOfAda = async () => (await stores.factors.listForAccount(ada.id)).find((f) => f.kind === 'webauthn')!;

  const router = new Router();
  router.get('/register', async (ctx) => {
    pending.register = await webauthn.beginEnrolment(env(), {});
    ctx.type = 'html';
    ctx.body = render('register', { csrf: 'test', view: await webauthn.enrolmentView(env(), pending.register) });
  });
  router.post('/register', async (ctx) => {
    const { factor, proof } = await webauthn.finishEnrolment(env(), pending.register!, body(ctx));
    ctx.type = 'html';
    ctx.body = render('outcome', { heading: 'Registered', outcome: JSON.stringify({ label: factor.label, proof }) });
  });
  router.get('/verify', async (ctx) => {
    const challenge = await webauthn.challenge(env(), await webauthnFactorOfAda());
    pending.verify = challenge.pending;
    ctx.type = 'html';
    ctx.body = render('verify', { csrf: 'test', view: challenge.view });
  });
  router.post('/verify', async (ctx) => {
    const proof = await webauthn.verify(env(), await webauthnFactorOfAda(), body(ctx), pending.verify);
    ctx.type = 'html';
    ctx.body = render('outcome', { heading: 'Verified', outcome: JSON.stringify(proof) });
  });
  router.get('/login', async (ctx) => {
    const options = await webauthn.passkeyOptions();
    pending.login = options.pending;
    ctx.type = 'html';
    ctx.body = render('login', { csrf: 'test', view: options.view, autofill: ctx.query.autofill === '1' });
  });
  router.post('/login', async (ctx) => {
    const result = await webauthn.verifyPasskey(body(ctx).credential, pending.login);
    ctx.type = 'html';
    ctx.body = render('outcome', { heading: 'Signed in', outcome: JSON.stringify(result) });
  });

  const app = new Koa();
  app.use(securityHeaders({ https: false }));
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      ctx.status = error.status;
      ctx.type = 'html';
      ctx.body = render('outcome', { heading: 'Refused', outcome: `${error.code}: ${message(error.code)}` });
    }
  });
  app.use(formBody('16kb'));
  app.use(assetRoutes(VIEWS_DIR).routes());
  app.use(router.routes());
  server.on('request', app.callback());
  return { server, url, stores, webauthn, ada };
}

describe('WebAuthn ceremonies in Chromium (virtual authenticator)', () => {
  let harness: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    harness = await startHarness();
    context = await browser.newContext();
    page = await context.newPage();
    collectBrowserErrors(page, browserErrors);
    ({ cdp, authenticatorId } = await addVirtualAuthenticator(context, page));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    harness?.server.closeAllConnections();
    await new Promise((resolve) => harness?.server.close(resolve));
    await harness?.stores.close();
  });

  afterEach(() => expect(browserErrors.splice(0)).toEqual([]));

  const outcome = async () => {
    await page.waitForSelector('#outcome');
    return { heading: await page.locator('h1').innerText(), text: await page.locator('#outcome').innerText() };
  };

  test('the scripts are served from our origin as JavaScript', async () => {
    for (const path of ['/assets/webauthn.js', '/assets/simplewebauthn-browser.js']) {
      const response = await fetch(`${harness.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    }
  });

  test('registration: the partial runs the ceremony and the module stores a discoverable, user-verified credential', async () => {
    await page.goto(`${harness.url}/register`);
    await expectAccessible(page, 'register');
    await page.fill('#webauthn-label', 'Laptop');
    await page.click('button:has-text("Set up security key or biometrics")');
    expect(await outcome()).toMatchObject({ heading: 'Registered' });
    const { label, proof } = JSON.parse((await outcome()).text);
    expect(label).toBe('Laptop');
    expect(proof).toMatchObject({ method: 'webauthn', userVerified: true });

    const [factor] = await harness.stores.factors.listForAccount(harness.ada.id);
    expect(factor).toMatchObject({ kind: 'webauthn', label: 'Laptop' });
    expect(factor!.data.transports).toEqual(['internal']);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url')).toBe(factor!.data.credentialId);
  }, 60_000);

  test('registering the same authenticator again is stopped by excludeCredentials, with a message on the page', async () => {
    await page.goto(`${harness.url}/register`);
    await page.click('button:has-text("Set up security key or biometrics")');
    const alert = page.locator('[data-webauthn-error]');
    await alert.waitFor({ state: 'visible' });
    expect(await alert.innerText()).toBe('This security key or passkey is already set up for your account.');
    expect(await harness.stores.factors.listForAccount(harness.ada.id)).toHaveLength(1);
  }, 60_000);

  test('second factor: the authenticator answers the challenge, the sign count advances, the answer cannot be replayed', async () => {
    const before = (await harness.stores.factors.listForAccount(harness.ada.id))[0]!;
    await page.goto(`${harness.url}/verify`);
    await expectAccessible(page, 'verify');
    const posted = page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/verify'));
    await page.click('button:has-text("Use your security key or biometrics")');
    const result = await outcome();
    expect(result.heading).toBe('Verified');
    expect(JSON.parse(result.text)).toMatchObject({ method: 'webauthn', factorId: before.id, userVerified: true });
    const after = (await harness.stores.factors.find(harness.ada.id, before.id))!;
    expect(after.counter).toBeGreaterThan(before.counter);
    expect(after.lastUsedAt).not.toBeNull();

    // The very same form body posted again (a replay, the pending challenge unchanged) is refused.
    const form = (await posted).postData()!;
    expect(new URLSearchParams(form).get('credential')).toContain('"authenticatorData"');
    const replay = await fetch(`${harness.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('webauthn_failed');
  }, 60_000);

  test('passwordless: the passkey button signs the account in (user verification required)', async () => {
    await page.goto(`${harness.url}/login`);
    await expectAccessible(page, 'login with passkey');
    await page.click('button:has-text("Sign in with a passkey")');
    const result = await outcome();
    expect(result.heading).toBe('Signed in');
    expect(JSON.parse(result.text)).toMatchObject({ accountId: harness.ada.id, proof: { method: 'webauthn', userVerified: true } });
  }, 60_000);

  test('passwordless through autofill: with conditional mediation the passkey is offered without the button', async () => {
    await page.goto(`${harness.url}/login`);
    const conditional = await page.evaluate('PublicKeyCredential.isConditionalMediationAvailable()');
    // This Chromium supports it; the virtual authenticator then picks the one passkey as a person would from the list.
    expect(conditional).toBe(true);
    await page.goto(`${harness.url}/login?autofill=1`);
    const result = await outcome();
    expect(result.heading).toBe('Signed in');
    expect(JSON.parse(result.text)).toMatchObject({ accountId: harness.ada.id, proof: { method: 'webauthn', userVerified: true } });
  }, 60_000);

  test('an authenticator that cannot verify the user does not sign in passwordless', async () => {
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    try {
      await page.goto(`${harness.url}/login`);
      await page.click('button:has-text("Sign in with a passkey")');
      // Chromium refuses the ceremony itself (UV required); the page says so and nothing is posted.
      const alert = page.locator('[data-webauthn-error]');
      await alert.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await alert.innerText()).toMatch(/cancelled or timed out|could not be verified/);
      expect(await page.locator('h1').innerText()).toBe('Sign in');
    } finally {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    }
  }, 60_000);
});
