import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  /** The SMTP envelope: who the server was asked to deliver to, and from whom. */
  envelope: { from: string | undefined; to: string[] };
  parsed: ParsedMail;
}

export interface MailCatcher {
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  url: string;
  messages: CaughtMail[];
  /** The first message (already caught or still to come) matching `predicate`; fails after `timeoutMs`. */
  waitFor(predicate: (mail: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a spare loopback port that keeps what it receives, parsed. No
 * authentication and no STARTTLS: smtp-server's built-in certificate would fail
 * nodemailer's verification, and TLS is not what these tests are about.
 */
export async function startMailCatcher(): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          const { mailFrom, rcptTo } = session.envelope;
          messages.push({ envelope: { from: mailFrom ? mailFrom.address : undefined, to: rcptTo.map((r) => r.address) }, parsed });
          for (const wake of waiters) wake();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(predicate, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`No matching email within ${timeoutMs} ms; caught: ${messages.map((m) => m.parsed.subject).join(' | ') || 'none'}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
