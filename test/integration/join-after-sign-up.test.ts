import * as oidc from 'openid-client';
import { createUser, startTestApp, type TestApp } from '../support/app.js';
import { Browser } from '../support/browser.js';
import { openSignIn, returnToApp } from '../support/flow.js';
import { codeIn, lastOutboxMessage } from '../support/outbox.js';
import { authorizationRequest, discover, idTokenClaims, registerWebClient } from '../support/rp.js';
import { formFor, openSignUp, submitSignUp, submitSignUpCode } from '../support/sign-up.js';

/** "After sign-up … the user enters a Customer Number or a Registration ID and the owner's email." */
describe('joining a subscription right after creating an account', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  let registrationId: string;

  beforeAll(async () => {
    app = await startTestApp();
    config = await discover(app, await registerWebClient(app));
    await createUser(app, 'boss@example.com');
    registrationId = (await app.container.subscriptions.create({ name: 'Acme Ltd', ownerEmail: 'boss@example.com' })).registrationId;
  });
  afterAll(() => app.close());

  async function atJoinOffer(email: string) {
    const browser = new Browser(app.url);
    const attempt = await authorizationRequest(config, 'openid email');
    const form = await openSignUp(browser, await openSignIn(browser, attempt.url));
    const codePage = await submitSignUp(browser, form, { name: 'New Person', email, password: 'velvet harbour pickle season' });
    const offer = await submitSignUpCode(browser, codePage, codeIn(await lastOutboxMessage(app, email)));
    expect(offer.text).toContain('<h1>Join a subscription</h1>');
    return { browser, attempt, offer };
  }

  const ask = (browser: Browser, page: { text: string }, identifier: string, ownerEmail: string) => {
    const { action, csrf } = formFor(page as never, '/join', 'join');
    return browser.submit(action, { _csrf: csrf, action: 'join', identifier, owner_email: ownerEmail });
  };

  test('a mismatch keeps the person on the offer with the one generic message; the last 6 digits and the owner ask to join', async () => {
    const { browser, attempt, offer } = await atJoinOffer('joiner@example.com');
    const wrongOwner = await ask(browser, offer, registrationId, 'someone@example.com');
    expect(wrongOwner.status).toBe(400);
    expect(wrongOwner.text).toContain('We could not match these details to a subscription.');
    const wrongNumber = await ask(browser, wrongOwner, '000000', 'boss@example.com');
    expect(wrongNumber.text).toContain('We could not match these details to a subscription.');

    const landing = await ask(browser, wrongNumber, registrationId.slice(-6), 'boss@example.com');
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, landing));
    const account = (await app.container.stores.accounts.findByEmail('joiner@example.com'))!;
    expect(claims.sub).toBe(account.id);
    const mine = await app.container.subscriptions.forAccount(account.id);
    expect(mine.requests.map((r) => r.request.status)).toEqual(['pending']);
    const approval = await lastOutboxMessage(app, 'boss@example.com');
    expect(approval.text).toMatch(/Approve/);
  });

  test('"Skip for now" continues to the app with no request made', async () => {
    const { browser, attempt, offer } = await atJoinOffer('skipper@example.com');
    const { action, csrf } = formFor(offer, '/join', 'skip');
    const claims = await idTokenClaims(config, attempt, await returnToApp(browser, await browser.submit(action, { _csrf: csrf, action: 'skip' })));
    const account = (await app.container.stores.accounts.findByEmail('skipper@example.com'))!;
    expect(claims.sub).toBe(account.id);
    expect((await app.container.subscriptions.forAccount(account.id)).requests).toEqual([]);
  });
});
