import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { createUser, startTestApp, TEST_SECRET, type TestApp } from '../support/app.js';
import { Browser, type Page } from '../support/browser.js';
import { latchkeyCli, printedJson } from '../support/cli.js';
import { ConsolePages, csrfFor, latestMessage } from '../support/console.js';
import type { Landing } from '../support/flow.js';

interface Created {
  id: string;
  name: string;
  customer_number: string;
  registration_id: string;
  owner_email: string;
}

interface Shown extends Created {
  members: { email: string; role: string }[];
  pending_requests: { email: string }[];
}

const JOIN = '/account/subscriptions/join';
const MISMATCH =
  'We could not match these details to a subscription. Check the Customer Number or Registration ID and the subscription owner&#x27;s email address, and try again.';

describe('joining a subscription', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-subscriptions-'));
  const env = { DATA_DIR: dataDir, LATCHKEY_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
  let app: TestApp;
  let acme: Created;
  const pages = new Map<string, ConsolePages>();

  beforeAll(async () => {
    app = await startTestApp({ stores: createSqliteStores(join(dataDir, 'latchkey.sqlite')) });
    for (const email of ['owner@example.com', 'alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'mallory@example.com']) {
      await createUser(app, email);
    }
    acme = printedJson<Created>(await latchkeyCli(env, 'subscriptions', 'create', '--name', 'Acme Ltd', '--owner-email', 'Owner@Example.com'));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A signed-in console for `email` (one browser per person). */
  async function consoleOf(email: string): Promise<ConsolePages> {
    let person = pages.get(email);
    if (!person) {
      person = new ConsolePages(app, { email });
      pages.set(email, person);
    }
    expect((await person.visit('/account/subscriptions')).status).toBe(200);
    return person;
  }

  async function askToJoin(email: string, identifier: string, ownerEmail: string): Promise<Landing> {
    const person = await consoleOf(email);
    const list = await person.visit('/account/subscriptions');
    return person.submit(list, JOIN, { identifier, owner_email: ownerEmail });
  }

  const alertOf = (page: Page) => page.text.match(/<p class="alert" role="alert">([\s\S]*?)<\/p>/)?.[1];
  const noticeOf = (page: Page) => page.text.match(/<p class="notice" role="status">([\s\S]*?)<\/p>/)?.[1];

  /** The Approve and Decline paths of the latest approval email to the owner. */
  async function linksFor(ownerEmail = 'owner@example.com') {
    const mail = await latestMessage(app, ownerEmail);
    expect(mail.subject).toMatch(/^Request to join /);
    const path = (kind: string) => {
      const found = new RegExp(`${app.issuer}(/account/subscriptions/requests/[0-9a-f-]{36}/${kind}/[A-Za-z0-9_-]{43})`).exec(mail.text)?.[1];
      if (!found) throw new Error(`No ${kind} link in:\n${mail.text}`);
      return found;
    };
    return { approve: path('approve'), decline: path('decline'), mail };
  }

  const show = async (id: string) => printedJson<Shown>(await latchkeyCli(env, 'subscriptions', 'show', id));

  test('the CLI creates a subscription for an existing account and prints its numbers; list and show', async () => {
    expect(acme).toMatchObject({ name: 'Acme Ltd', owner_email: 'owner@example.com', customer_number: expect.stringMatching(/^[1-9]\d{7}$/), registration_id: expect.stringMatching(/^MBR\d{10}$/) });
    const list = printedJson<Created[]>(await latchkeyCli(env, 'subscriptions', 'list'));
    expect(list.map((s) => s.id)).toContain(acme.id);
    const shown = await show(acme.customer_number);
    expect(shown).toMatchObject({ id: acme.id, members: [{ email: 'owner@example.com', role: 'owner' }], pending_requests: [] });
    expect((await show(acme.registration_id)).id).toBe(acme.id);

    const unknown = await latchkeyCli(env, 'subscriptions', 'create', '--name', 'Nobody', '--owner-email', 'nobody@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('There is no account with the email address nobody@example.com');
  });

  test('every kind of mismatch gets the same message', async () => {
    // Two subscriptions sharing the last 6 digits of their registration ids: the suffix is ambiguous.
    const store = app.container.stores.subscriptions;
    const owner = (await app.container.stores.accounts.findByEmail('owner@example.com'))!;
    await store.create({ name: 'Twin A', ownerAccountId: owner.id, customerNumber: '90000001', registrationId: 'MBR1000424242' });
    await store.create({ name: 'Twin B', ownerAccountId: owner.id, customerNumber: '90000002', registrationId: 'MBR2000424242' });

    const attempts: [string, string][] = [
      ['99999999', 'owner@example.com'], // unknown customer number
      [acme.customer_number, 'alice@example.com'], // not the owner's address
      [acme.registration_id, 'someone@example.com'],
      ['424242', 'owner@example.com'], // ambiguous suffix
      ['MBR9999999999', 'owner@example.com'],
      ['not a number', 'owner@example.com'],
    ];
    const texts = new Set<string>();
    for (const [identifier, ownerEmail] of attempts) {
      const page = await askToJoin('mallory@example.com', identifier, ownerEmail);
      expect(page.status).toBe(400);
      texts.add(alertOf(page) ?? '(none)');
    }
    expect([...texts]).toEqual([MISMATCH]);
    expect(await app.container.stores.subscriptions.joinRequestsOf((await app.container.stores.accounts.findByEmail('mallory@example.com'))!.id)).toEqual([]);
  });

  test('join by Customer Number; the owner approves; the requester is told and sees the membership', async () => {
    const asked = await askToJoin('alice@example.com', acme.customer_number, 'OWNER@example.com');
    expect(asked.url).toBe(`${app.url}/account/subscriptions?done=requested`);
    expect(noticeOf(asked)).toContain('We asked the owner of the subscription to approve your request');
    expect(asked.text).toContain('Waiting for the owner’s answer');
    expect((await show(acme.id)).pending_requests).toEqual([expect.objectContaining({ email: 'alice@example.com' })]);

    const { approve, mail } = await linksFor();
    expect(mail.text).toContain('Ada Lovelace (alice@example.com) asked to join your subscription Acme Ltd');
    expect(mail.html).toContain('>Approve</a>');
    expect(mail.html).toContain('>Decline</a>');

    // The owner is not signed in yet: the link signs them in and comes back to it.
    const owner = new ConsolePages(app, { email: 'owner@example.com' });
    pages.set('owner@example.com', owner);
    const review = await owner.visit(approve);
    expect(review.status).toBe(200);
    expect(review.url).toBe(`${app.url}${approve}`);
    expect(review.text).toContain('Approve the request to join Acme Ltd?');
    const done = await owner.submit(review, approve);
    expect(done.url).toBe(`${app.url}/account/subscriptions?done=approved`);

    const shown = await show(acme.id);
    expect(shown.members).toEqual([expect.objectContaining({ email: 'owner@example.com', role: 'owner' }), expect.objectContaining({ email: 'alice@example.com', role: 'member' })]);
    expect(shown.pending_requests).toEqual([]);

    const told = await latestMessage(app, 'alice@example.com');
    expect(told.subject).toBe('You joined Acme Ltd');
    const alice = await (await consoleOf('alice@example.com')).visit('/account/subscriptions');
    expect(alice.text).toContain('<strong>Acme Ltd</strong> <span class="muted">(member)</span>');
    expect(alice.text).toContain('data-status="approved"');

    // A used link is refused, by GET and by POST; nothing changes.
    const again = await owner.visit(approve);
    expect(again.status).toBe(400);
    expect(again.text).toContain('This link has expired or was already used');
    const ownerList = await owner.visit('/account/subscriptions');
    const replay = await owner.browser.post(approve, { _csrf: csrfFor(ownerList, JOIN) });
    expect(replay.status).toBe(400);
    expect((await show(acme.id)).members).toHaveLength(2);

    // Asking again: already a member.
    const member = await askToJoin('alice@example.com', acme.customer_number, 'owner@example.com');
    expect(noticeOf(member)).toBe('You are already a member of this subscription.');
  });

  test('join by the last 6 digits of the Registration ID; the owner declines', async () => {
    const asked = await askToJoin('bob@example.com', acme.registration_id.slice(-6), 'owner@example.com');
    expect(asked.url).toBe(`${app.url}/account/subscriptions?done=requested`);
    const { decline, approve } = await linksFor();
    const owner = await consoleOf('owner@example.com');
    const review = await owner.visit(decline);
    expect(review.text).toContain('Decline the request to join Acme Ltd?');
    const done = await owner.submit(review, decline);
    expect(done.url).toBe(`${app.url}/account/subscriptions?done=declined`);

    expect((await latestMessage(app, 'bob@example.com')).subject).toBe('Your request to join Acme Ltd was declined');
    const bob = await (await consoleOf('bob@example.com')).visit('/account/subscriptions');
    expect(bob.text).toContain('data-status="declined"');
    expect(bob.text).toContain('You are not a member of any subscription yet.');
    expect((await show(acme.id)).members.map((m) => m.email)).not.toContain('bob@example.com');

    // The Approve link of the same email no longer works either.
    expect((await owner.visit(approve)).status).toBe(400);
  });

  test('a link opened by another signed-in account is refused with 403, and still works for the owner', async () => {
    await askToJoin('carol@example.com', acme.registration_id, 'owner@example.com');
    const { approve } = await linksFor();
    const mallory = await consoleOf('mallory@example.com');
    const refused = await mallory.visit(approve);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('you are signed in with another account');
    const malloryList = await mallory.visit('/account/subscriptions');
    expect((await mallory.browser.post(approve, { _csrf: csrfFor(malloryList, JOIN) })).status).toBe(403);
    expect((await show(acme.id)).pending_requests).toEqual([expect.objectContaining({ email: 'carol@example.com' })]);

    // Without the CSRF token the owner's POST is refused too.
    const owner = await consoleOf('owner@example.com');
    expect((await owner.browser.post(approve, {})).status).toBe(403);
    expect((await owner.submit(await owner.visit(approve), approve)).url).toBe(`${app.url}/account/subscriptions?done=approved`);
  });

  test('20 parallel Approve POSTs: exactly one decides', async () => {
    await askToJoin('dave@example.com', acme.customer_number, 'owner@example.com');
    const { approve } = await linksFor();
    const owner = await consoleOf('owner@example.com');
    const review = await owner.visit(approve);
    const csrf = csrfFor(review, approve);
    const before = (await app.container.delivery.outbox!.read()).filter((e) => e.to === 'dave@example.com').length;
    const answers = await Promise.all(Array.from({ length: 20 }, () => owner.browser.post(approve, { _csrf: csrf })));
    const decided = answers.filter((a) => a.status === 303);
    expect(decided).toHaveLength(1);
    expect(decided[0]!.location).toBe('/account/subscriptions?done=approved');
    expect(answers.filter((a) => a.status === 400)).toHaveLength(19);
    const members = (await show(acme.id)).members.filter((m) => m.email === 'dave@example.com');
    expect(members).toHaveLength(1);
    const dave = (await app.container.stores.accounts.findByEmail('dave@example.com'))!;
    expect((await app.container.stores.subscriptions.joinRequestsOf(dave.id)).map((r) => r.status)).toEqual(['approved']);
    expect((await app.container.delivery.outbox!.read()).filter((e) => e.to === 'dave@example.com').length).toBe(before + 1);
  });

  test('the owner asking to join their own subscription is told they own it', async () => {
    const page = await askToJoin('owner@example.com', acme.customer_number, 'owner@example.com');
    expect(noticeOf(page)).toBe('You are already the owner of this subscription.');
  });

  test('the pages need a console session and the join form its CSRF token', async () => {
    const person = await consoleOf('mallory@example.com');
    expect((await person.browser.post(JOIN, { identifier: acme.customer_number, owner_email: 'owner@example.com' })).status).toBe(403);
    const stranger = new Browser(app.url);
    const list = await stranger.get('/account/subscriptions');
    expect(list.status).toBe(303);
    expect(list.location).toContain('/auth?');
  });
});
