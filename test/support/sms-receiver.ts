import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  body: unknown;
  authorization: string | undefined;
  contentType: string | undefined;
}

export interface SmsReceiver {
  /** http://127.0.0.1:PORT/messages, for SMS_WEBHOOK_URL. */
  url: string;
  /** Every POST, in order of arrival, including those answered with a failure or never answered. */
  received: ReceivedCall[];
  /** From now on: 'ok' answers 202, a number answers that status, 'hang' never answers. */
  behave(mode: 'ok' | 'hang' | number): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A stand-in for an SMS/voice provider's webhook that records what it was sent. */
export async function startSmsReceiver(): Promise<SmsReceiver> {
  const received: ReceivedCall[] = [];
  let mode: 'ok' | 'hang' | number = 'ok';
  const server = createServer((req, res) => {
    readBody(req).then((raw) => {
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // Kept as text: the test then shows what arrived instead of failing here.
      }
      received.push({ body, authorization: req.headers.authorization, contentType: req.headers['content-type'] });
      if (mode === 'hang') return;
      res.statusCode = mode === 'ok' ? 202 : mode;
      res.end(mode === 'ok' ? '{"status":"queued"}' : '{"error":"failed"}');
    }, (error: Error) => res.destroy(error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/messages`,
    received,
    behave(next) {
      mode = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
