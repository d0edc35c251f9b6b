import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { formatUtc, PURPOSES, securityHeadline, spellDigits, type SecurityEvent, type VerificationPurpose } from './wording.js';

/** Every email template and the data it needs. */
export interface EmailTemplates extends SubscriptionEmailTemplates {
  'verification-code': { code: string; purpose: VerificationPurpose; minutes: number };
  /**
   * The answer to "Forgot password": `path` (the reset link, under the issuer) when the
   * address has an active account, none when it has not (the request is answered either way).
   */
  'password-reset': { path?: string; minutes: number };
  /** "Send 2-factor authentication email": the link that lets the person set up 2FA again (recovery/). */
  'two-factor-reset': { path: string; minutes: number };
  'security-notification': {
    event: SecurityEvent;
    /** Names what changed, e.g. "authenticator app" or "+44 •••• 123". */
    detail?: string;
    /** When it happened (epoch ms, from the clock). */
    time: number;
    ip?: string;
    /** The browser or device, as the caller describes it from the User-Agent. */
    browser?: string;
  };
}

/** Subscriptions (src/orgs/): the owner's Approve and Decline links, and the requester's answer. */
export interface SubscriptionEmailTemplates {
  'subscription-join-request': { subscription: string; requester: string; approvePath: string; declinePath: string; days: number };
  'subscription-join-decided': { subscription: string; approved: boolean; path: string };
}

/** Every text-message and voice-call template and the data it needs. */
export interface PhoneTemplates {
  'sms-code': { code: string; minutes: number };
  'voice-code': { code: string };
  /** A security notification to a backup phone (the backup method changed, 2FA was reset). */
  'sms-notice': { event: SecurityEvent; detail?: string };
}

export type EmailTemplate = keyof EmailTemplates;
export type PhoneTemplate = keyof PhoneTemplates;

// Runtime lists of the names above; `satisfies` keeps them in step with the interfaces.
const EMAIL_TEMPLATES = Object.keys({
  'verification-code': 1,
  'password-reset': 1,
  'two-factor-reset': 1,
  'security-notification': 1,
  'subscription-join-request': 1,
  'subscription-join-decided': 1,
} satisfies Record<EmailTemplate, 1>);
const PHONE_TEMPLATES = Object.keys({ 'sms-code': 1, 'voice-code': 1, 'sms-notice': 1 } satisfies Record<PhoneTemplate, 1>);

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface MessageTemplates {
  email<T extends EmailTemplate>(name: T, data: EmailTemplates[T]): RenderedEmail;
  /** The text of a text message or of what a voice call says. */
  phone<T extends PhoneTemplate>(name: T, data: PhoneTemplates[T]): string;
}

type Part = 'subject' | 'txt' | 'html';
type Compiled = Handlebars.TemplateDelegate;

/**
 * Compiles views/messages/<name>.{subject,txt,html}.hbs once, at start-up, and refuses
 * to start when a template is missing a part. `issuer` is the only origin messages name:
 * links come from it, never from a request's Host header.
 */
export function createMessageTemplates(dir: string, { issuer }: { issuer: string }): MessageTemplates {
  const hbs = Handlebars.create();
  const issuerHost = new URL(issuer).hostname;
  hbs.registerHelper('spell', (code: string) => spellDigits(String(code)));
  hbs.registerHelper('utc', (time: number) => formatUtc(time));
  hbs.registerHelper('link', (path: string) => {
    if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) throw new Error(`link needs a path, got ${path}`);
    return `${issuer}${path}`;
  });
  hbs.registerHelper('purposeAction', (purpose: VerificationPurpose) => PURPOSES[purpose].action);
  hbs.registerHelper('purposeIfNotYou', (purpose: VerificationPurpose) => PURPOSES[purpose].ifNotYou);
  hbs.registerHelper('headline', (event: SecurityEvent, detail: unknown) =>
    securityHeadline(event, typeof detail === 'string' ? detail : undefined),
  );

  const parts = new Map<string, Partial<Record<Part, Compiled>>>();
  for (const file of readdirSync(dir)) {
    const match = /^([a-z0-9-]+)\.(subject|txt|html)\.hbs$/.exec(file);
    if (!match) continue;
    const [, name, part] = match as unknown as [string, string, Part];
    const source = readFileSync(join(dir, file), 'utf8');
    // Only HTML is escaped: in a subject, a text body or an SMS, "&amp;" would be shown as is.
    const compiled = hbs.compile(source, { noEscape: part !== 'html' });
    parts.set(name, { ...parts.get(name), [part]: compiled });
  }

  const missing = (name: string, needed: Part[]) => needed.filter((part) => !parts.get(name)?.[part]).map((part) => `${name}.${part}.hbs`);
  const absent = [
    ...missing('layout', ['txt', 'html']),
    ...EMAIL_TEMPLATES.flatMap((name) => missing(name, ['subject', 'txt', 'html'])),
    ...PHONE_TEMPLATES.flatMap((name) => missing(name, ['txt'])),
  ];
  if (absent.length) throw new Error(`Missing message templates in ${dir}: ${absent.join(', ')}`);

  const layout = parts.get('layout') as Record<'txt' | 'html', Compiled>;
  // Spread last: a caller's data cannot replace the origin messages point to.
  const context = (data: object) => ({ ...data, issuer, issuerHost });

  return {
    email(name, data) {
      const template = parts.get(name) as Record<Part, Compiled>;
      const ctx = context(data);
      const subject = template.subject(ctx).replace(/\s+/g, ' ').trim();
      return {
        subject,
        text: `${layout.txt({ ...ctx, subject, body: tidyText(template.txt(ctx)) }).trim()}\n`,
        html: layout.html({ ...ctx, subject, body: new hbs.SafeString(template.html(ctx)) }),
      };
    },
    phone(name, data) {
      return tidyText((parts.get(name) as Record<Part, Compiled>).txt(context(data)));
    },
  };
}

/** Template whitespace (indentation of blocks, blank lines left by {{#if}}) out of plain text. */
function tidyText(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
