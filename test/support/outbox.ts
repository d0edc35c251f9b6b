import type { OutboxEntry } from '../../src/delivery/index.js';
import type { TestApp } from './app.js';

/**
 * The latest message the app wrote to its outbox for `to` (tests run without SMTP or a
 * webhook, so this is where a flow's code arrives). Fails when there is none.
 */
export async function lastOutboxMessage(app: TestApp, to: string): Promise<OutboxEntry> {
  const outbox = app.container.delivery.outbox;
  if (!outbox) throw new Error('This app sends through real carriers: it has no outbox');
  const found = (await outbox.read()).filter((entry) => entry.to === to).at(-1);
  if (!found) throw new Error(`The outbox holds no message for ${to}`);
  return found;
}

/** The 6-digit code in an email's or a text message's text (a voice call spells it out). */
export function codeIn(entry: OutboxEntry): string {
  const code = /\b\d{6}\b/.exec(entry.text)?.[0];
  if (!code) throw new Error(`No 6-digit code in: ${entry.text}`);
  return code;
}
