import { isIP } from 'node:net';
import { z } from 'zod';

/*
 * The settings of outgoing email and text messages. Their values can hold credentials
 * (smtp://user:password@host, the webhook's bearer secret): never log them.
 */

/** `user@example.com` or `Display Name <user@example.com>` (a quoted name may hold commas). */
const MAILBOX = /^(?:(?:"[^"\r\n]*" *|[^"<>@,;\r\n]*)<[^\s<>@]+@[^\s<>@]+>|[^\s<>@",;]+@[^\s<>@]+)$/;

export const smtpUrlFromEnv = z.url({
  protocol: /^smtps?$/,
  error: 'SMTP_URL must be an smtp:// (STARTTLS when offered) or smtps:// (TLS) URL, e.g. smtps://user:password@smtp.example.com',
});

export const mailFromFromEnv = z
  .string()
  .trim()
  .regex(MAILBOX, 'MAIL_FROM must be an email address, optionally with a name: Latchkey <no-reply@example.com>');

export const smsWebhookUrlFromEnv = z
  .url({ protocol: /^https?$/, error: 'SMS_WEBHOOK_URL must be an http:// or https:// URL' })
  // fetch refuses URLs with credentials, so every message would fail at the first send.
  .refine((url) => !new URL(url).username && !new URL(url).password, {
    error: 'SMS_WEBHOOK_URL must not hold a user or password: put the secret in SMS_WEBHOOK_SECRET (sent as a bearer token)',
  });

/**
 * `Latchkey <no-reply@HOST>` for the issuer's host, so that mail names the origin users
 * know. An IP-literal issuer (tests, a first local try) becomes an address literal.
 */
export function defaultMailFrom(issuer: string): string {
  const host = new URL(issuer).hostname;
  const bare = host.replace(/^\[|\]$/g, '');
  const domain = isIP(bare) === 6 ? `[IPv6:${bare}]` : isIP(bare) === 4 ? `[${bare}]` : host;
  return `Latchkey <no-reply@${domain}>`;
}
