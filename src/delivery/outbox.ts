import { appendFile, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensurePrivateDir, narrowIfExists } from '../store/private-files.js';
import type { Clock } from '../clock.js';
import type { Carrier, OutgoingCall, OutgoingEmail } from './carriers.js';
import type { DeliveryChannel } from './errors.js';

/** One message as it would have gone out. */
export interface OutboxEntry {
  /** ISO 8601. */
  time: string;
  kind: DeliveryChannel;
  to: string;
  subject?: string;
  text: string;
  html?: string;
}

/**
 * Where messages go when no SMTP server and no SMS webhook are configured, so that a
 * newcomer can follow every flow: the codes are read from here instead of a phone.
 */
export interface Outbox {
  /** Where it is, for the log line that tells the newcomer where to look. */
  readonly location: string;
  append(entry: OutboxEntry): Promise<void>;
  /** Every entry so far, oldest first. */
  read(): Promise<OutboxEntry[]>;
}

/**
 * Append-only JSON lines, mode 0600 in a 0700 directory: the file holds live codes.
 * One appendFile per entry (one write of a whole line) keeps concurrent sends from
 * interleaving within a line.
 */
export function createFileOutbox(file: string): Outbox {
  let prepared = false;
  return {
    location: file,
    async append(entry) {
      if (!prepared) {
        ensurePrivateDir(dirname(file));
        narrowIfExists(file);
        prepared = true;
      }
      await appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    },
    async read() {
      let content: string;
      try {
        content = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      return content
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as OutboxEntry);
    },
  };
}

/** For DATA_DIR=':memory:' (tests): nothing touches the disk, and tests read the codes back. */
export function createMemoryOutbox(): Outbox {
  const entries: OutboxEntry[] = [];
  return {
    location: 'memory',
    async append(entry) {
      entries.push(structuredClone(entry));
    },
    async read() {
      return structuredClone(entries);
    },
  };
}

export function outboxEmailCarrier(outbox: Outbox, clock: Clock): Carrier<OutgoingEmail> {
  return {
    name: 'outbox',
    async send({ to, subject, text, html }) {
      await outbox.append({ time: new Date(clock.now()).toISOString(), kind: 'email', to, subject, text, html });
      return {};
    },
    close() {},
  };
}

export function outboxPhoneCarrier(outbox: Outbox, clock: Clock): Carrier<OutgoingCall> {
  return {
    name: 'outbox',
    async send({ to, channel, text }) {
      await outbox.append({ time: new Date(clock.now()).toISOString(), kind: channel, to, text });
      return {};
    },
    close() {},
  };
}
