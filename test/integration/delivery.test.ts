import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import request from 'supertest';
import { VIEWS_DIR } from '../../src/container.js';
import { DeliveryError } from '../../src/delivery/index.js';
import { createPhoneSender } from '../../src/delivery/phone.js';
import { createMessageTemplates } from '../../src/delivery/templates.js';
import { createWebhookCarrier } from '../../src/delivery/webhook.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { captureLog, type CapturedLog } from '../support/log-capture.js';
import { startMailCatcher, type MailCatcher } from '../support/mail-catcher.js';
import { codeIn, lastOutboxMessage } from '../support/outbox.js';
import { freePort } from '../support/redis.js';
import { startSmsReceiver, type SmsReceiver } from '../support/sms-receiver.js';

const CODE = '481526';
const PHONE = '+447700900123';
const WEBHOOK_SECRET = 'sms-webhook-secret-for-tests';
const NOT_SENT = 'We could not send the code; try again or choose another way.';

/** Every http(s) URL in a text, to check that all of them point at the issuer. */
const urls = (text: string) => text.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];

/** What a rejected send was rejected with. */
async function failure(sending: Promise<unknown>): Promise<unknown> {
  try {
    await sending;
  } catch (error) {
    return error;
  }
  throw new Error('the send succeeded');
}

describe('delivery through real carriers: SMTP and the SMS webhook', () => {
  let catcher: MailCatcher;
  let receiver: SmsReceiver;
  let log: CapturedLog;
  let app: TestApp;

  beforeAll(async () => {
    catcher = await startMailCatcher();
    receiver = await startSmsReceiver();
    log = captureLog();
    // An https issuer served over plain HTTP (as behind a proxy): the issuer's origin then
    // differs from the address the app listens on, so a link built from anything else shows.
    app = await startTestApp({
      https: true,
      logger: log.logger,
      env: { SMTP_URL: catcher.url, SMS_WEBHOOK_URL: receiver.url, SMS_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
    await catcher.close();
  });
  beforeEach(() => receiver.behave('ok'));

  test('a verification code arrives by SMTP with a From, a Subject, a text and an HTML part, and links only to the issuer', async () => {
    await app.container.delivery.mail.send({ to: 'ada@example.com', template: 'verification-code', data: { code: CODE, purpose: 'sign-in', minutes: 10 } });

    const { envelope, parsed } = await catcher.waitFor((m) => m.envelope.to.includes('ada@example.com'));
    expect(envelope.from).toBe('no-reply@[127.0.0.1]');
    expect(parsed.from?.value).toEqual([{ name: 'Latchkey', address: 'no-reply@[127.0.0.1]' }]);
    expect(parsed.subject).toBe('Your Latchkey code');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.text).toContain(`Your Latchkey code is:\n\n    ${CODE}\n`);
    expect(parsed.text).toContain('Use it to finish signing in. It is valid for 10 minutes and works once.');
    expect(parsed.text).toContain('someone may know your password');
    expect(parsed.html).toMatch(/^<!doctype html>/);
    expect(parsed.html).toContain(`>${CODE}</p>`);
    expect(parsed.html).toContain('someone may know your password');

    const links = [...urls(parsed.text ?? ''), ...urls(parsed.html || '')];
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !link.startsWith(`${app.issuer}`))).toEqual([]);
    expect(app.issuer).toMatch(/^https:/);

    expect(app.container.delivery.outbox).toBeUndefined();
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'email sent', to: 'a***@example.com', template: 'verification-code' }));
    expect(log.raw()).not.toContain(CODE);
    expect(log.raw()).not.toContain('ada@example.com');
  });

  test('a security notification says what, when and from where, escapes HTML, and links to the issuer', async () => {
    const browser = 'Firefox <script>alert(1)</script> & co';
    await app.container.delivery.mail.send({
      to: 'grace@example.com',
      template: 'security-notification',
      data: { event: 'factor-added', detail: 'authenticator app', time: Date.UTC(2025, 2, 3, 14, 5), ip: '203.0.113.7', browser },
    });

    const { parsed } = await catcher.waitFor((m) => m.envelope.to.includes('grace@example.com'));
    expect(parsed.subject).toBe('Latchkey security alert: A sign-in method was added to your account');
    for (const part of [parsed.text ?? '', parsed.html || '']) {
      expect(part).toContain('A sign-in method was added to your account: authenticator app.');
      expect(part).toContain('3 March 2025 at 14:05 UTC');
      expect(part).toContain('203.0.113.7');
      expect(part).toContain(`${app.issuer}/account`);
      expect(part).toContain('If it was not you');
    }
    // Plain text shows the caller's text as it is; HTML shows it escaped, never as markup.
    expect(parsed.text).toContain(`Browser or device: ${browser}`);
    expect(parsed.html).toContain('Firefox &lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(parsed.html).not.toContain('<script>');
  });

  test('a text message goes to the webhook as JSON with the bearer secret, ending with the WebOTP line', async () => {
    const before = receiver.received.length;
    await app.container.delivery.phone.send({ to: PHONE, channel: 'sms', template: 'sms-code', data: { code: CODE, minutes: 10 } });

    expect(receiver.received.slice(before)).toEqual([
      {
        authorization: `Bearer ${WEBHOOK_SECRET}`,
        contentType: 'application/json',
        body: {
          to: PHONE,
          channel: 'sms',
          text: `${CODE} is your Latchkey code. It expires in 10 minutes. Do not share it.\n\n@127.0.0.1 #${CODE}`,
        },
      },
    ]);
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'text message sent', to: '+44•••••••123' }));
    expect(log.raw()).not.toContain(CODE);
    expect(log.raw()).not.toContain(WEBHOOK_SECRET);
  });

  test('a voice call reads the digits one by one, twice', async () => {
    const before = receiver.received.length;
    await app.container.delivery.phone.send({ to: PHONE, channel: 'voice', template: 'voice-code', data: { code: CODE } });

    expect(receiver.received.slice(before)).toEqual([
      {
        authorization: `Bearer ${WEBHOOK_SECRET}`,
        contentType: 'application/json',
        body: { to: PHONE, channel: 'voice', text: 'Your Latchkey code is 4, 8, 1, 5, 2, 6. Again: 4, 8, 1, 5, 2, 6.' },
      },
    ]);
  });

  test('the webhook answering 500 is a DeliveryError (delivery_failed), logged without the code, and the app keeps serving', async () => {
    receiver.behave(500);
    const before = receiver.received.length;

    const error = await failure(app.container.delivery.phone.send({ to: PHONE, channel: 'sms', template: 'sms-code', data: { code: CODE, minutes: 10 } }));

    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ code: 'delivery_failed', status: 503, channel: 'sms' });
    expect(receiver.received.length).toBe(before + 1);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ msg: 'text message could not be sent', err: expect.objectContaining({ name: 'WebhookRefusedError', status: 500 }) }),
    );
    expect(log.raw()).not.toContain(CODE);
    expect((await request(app.url).get('/healthz')).status).toBe(200);
  });

  test('a webhook that never answers is a DeliveryError once the timeout passes', async () => {
    receiver.behave('hang');
    const hangLog = captureLog();
    // The container's sender waits 10 s; the same module with a short timeout keeps the suite quick.
    const phone = createPhoneSender({
      templates: createMessageTemplates(join(VIEWS_DIR, 'messages'), { issuer: app.issuer }),
      carrier: createWebhookCarrier({ url: receiver.url, secret: WEBHOOK_SECRET, timeoutMs: 300 }),
      logger: hangLog.logger,
    });
    const before = receiver.received.length;

    const error = await failure(phone.send({ to: PHONE, channel: 'voice', template: 'voice-code', data: { code: CODE } }));

    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ code: 'delivery_failed', channel: 'voice' });
    expect(receiver.received.length).toBe(before + 1);
    expect(hangLog.lines).toContainEqual(expect.objectContaining({ msg: 'voice call could not be sent', err: expect.objectContaining({ name: 'TimeoutError' }) }));
  });

  describe('a failed send in a request', () => {
    let server: Server;
    let url: string;

    // A route that sends a code, behind the app's real error handler: what a person
    // sees when the provider fails.
    beforeAll(async () => {
      const koa = new Koa();
      koa.use(errorHandler(app.container.views, app.container.logger));
      koa.use(async (ctx) => {
        await app.container.delivery.phone.send({ to: PHONE, channel: 'sms', template: 'sms-code', data: { code: CODE, minutes: 10 } });
        ctx.body = 'sent';
      });
      server = createServer(koa.callback());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    test('is a page that says the code could not be sent, not a 500', async () => {
      receiver.behave(500);
      const page = await request(url).get('/').set('Accept', 'text/html');
      expect(page.status).toBe(503);
      expect(page.type).toBe('text/html');
      expect(page.text).toContain(NOT_SENT);
      expect(page.text).not.toContain(CODE);

      const api = await request(url).get('/').set('Accept', 'application/json');
      expect(api.body).toEqual({ error: 'delivery_failed', error_description: NOT_SENT });

      receiver.behave('ok');
      expect((await request(url).get('/')).text).toBe('sent');
    });
  });
});

describe('delivery with an unreachable SMTP server', () => {
  let app: TestApp;
  let log: CapturedLog;

  beforeAll(async () => {
    log = captureLog();
    const port = await freePort();
    app = await startTestApp({ logger: log.logger, env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
  });
  afterAll(() => app.close());

  test('sending email is a DeliveryError (delivery_failed), not a crash', async () => {
    const error = await failure(
      app.container.delivery.mail.send({ to: 'ada@example.com', template: 'verification-code', data: { code: CODE, purpose: 'sign-up', minutes: 10 } }),
    );
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ code: 'delivery_failed', status: 503, channel: 'email' });
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'email could not be sent', carrier: 'smtp', to: 'a***@example.com' }));
    expect(log.raw()).not.toContain(CODE);
    expect((await request(app.url).get('/healthz')).status).toBe(200);
  });

  test('with only SMTP configured, texts are refused loudly, never written to an outbox', async () => {
    expect(app.container.delivery.phone.available).toBe(false);
    expect(app.container.delivery.mail.available).toBe(true);
    expect(app.container.delivery.outbox).toBeUndefined();
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('SMS_WEBHOOK_URL is not set') }));

    const error = await failure(app.container.delivery.phone.send({ to: PHONE, channel: 'sms', template: 'sms-code', data: { code: CODE, minutes: 10 } }));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ code: 'delivery_failed', channel: 'sms' });
  });
});

describe('the outbox, when neither SMTP nor a webhook is configured', () => {
  let dataDir: string;
  let app: TestApp;
  let log: CapturedLog;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-outbox-'));
    log = captureLog();
    app = await startTestApp({ logger: log.logger, env: { DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('every message is one JSON line in DATA_DIR/outbox.jsonl (mode 0600) and one log line with its text', async () => {
    const { mail, phone, outbox } = app.container.delivery;
    expect(mail.available && phone.available).toBe(true);
    expect(outbox?.location).toBe(join(dataDir, 'outbox.jsonl'));
    expect(log.lines).toContainEqual(expect.objectContaining({ outbox: join(dataDir, 'outbox.jsonl') }));

    await mail.send({ to: 'ada@example.com', template: 'verification-code', data: { code: '111111', purpose: 'sign-up', minutes: 15 } });
    await phone.send({ to: PHONE, channel: 'sms', template: 'sms-code', data: { code: '222222', minutes: 10 } });
    await phone.send({ to: PHONE, channel: 'voice', template: 'voice-code', data: { code: '333333' } });

    const file = join(dataDir, 'outbox.jsonl');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        kind: 'email',
        to: 'ada@example.com',
        subject: 'Your Latchkey code',
        text: expect.stringContaining('111111'),
        html: expect.stringContaining('111111'),
      },
      { time: expect.any(String), kind: 'sms', to: PHONE, text: expect.stringMatching(/^222222 is your Latchkey code\./) },
      { time: expect.any(String), kind: 'voice', to: PHONE, text: 'Your Latchkey code is 3, 3, 3, 3, 3, 3. Again: 3, 3, 3, 3, 3, 3.' },
    ]);
    expect(lines[0]!.text).toContain('valid for 15 minutes');
    expect(lines[0]!.text).toContain('no account is created without this code');
    expect(await outbox!.read()).toEqual(lines);

    // In this mode the log is the newcomer's inbox: one line per message, with the text.
    const logged = log.lines.filter((line) => line.kind !== undefined);
    expect(logged.map((line) => [line.kind, String(line.text).match(/\d{6}|\d, \d/)?.[0]])).toEqual([
      ['email', '111111'],
      ['sms', '222222'],
      ['voice', '3, 3'],
    ]);
  });
});

describe('the outbox with DATA_DIR=:memory:', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test('keeps the messages in memory for the tests to read', async () => {
    await app.container.delivery.phone.send({ to: PHONE, channel: 'sms', template: 'sms-code', data: { code: CODE, minutes: 10 } });
    await app.container.delivery.mail.send({ to: 'ada@example.com', template: 'verification-code', data: { code: '654321', purpose: 'recovery', minutes: 10 } });
    expect(app.container.delivery.outbox?.location).toBe('memory');
    expect(await app.container.delivery.outbox!.read()).toEqual([
      expect.objectContaining({ kind: 'sms', to: PHONE, text: expect.stringContaining(CODE) }),
      expect.objectContaining({ kind: 'email', to: 'ada@example.com', subject: 'Your Latchkey code' }),
    ]);
    expect(codeIn(await lastOutboxMessage(app, PHONE))).toBe(CODE);
    expect(codeIn(await lastOutboxMessage(app, 'ada@example.com'))).toBe('654321');
  });
});
