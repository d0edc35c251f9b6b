import { expect, jest } from '@jest/globals';
import type { OutboxEntry } from '../../src/delivery/index.js';
import { TEST_PASSWORD, type TestApp } from './app.js';
import { Browser, inputValue, type Page } from './browser.js';
import { submitCode, submitPassword, totpSecretOn, type Landing } from './flow.js';
import { codeIn } from './outbox.js';
import { totpCode } from './totp.js';

/** Who signs in, and how they answer the factor step when their account has a second factor. */
export interface Person {
  email: string;
  password?: string;
  /** The code to type on the factor step (from the authenticator app, the outbox, …). */
  secondFactor?: (page: Landing) => Promise<string> | string;
}

/**
 * The one place the console tests sign in, on the sign-in page the console sent the
 * browser to: the password, then the factor step when the account has one. Everything the
 * sign-in flow adds (other factors, enrolment) belongs here, not in the console tests.
 */
export async function signInAs(browser: Browser, loginPage: Landing, person: Person): Promise<Landing> {
  let page = await submitPassword(browser, loginPage, person.email, person.password ?? TEST_PASSWORD);
  if (page.text.includes('<h1>Two-factor authentication</h1>')) {
    if (!person.secondFactor) throw new Error(`${person.email} was asked for a second factor and has no answer:\n${page.text}`);
    page = await submitCode(browser, page, await person.secondFactor(page));
  }
  return page;
}

/** True when `page` is Latchkey's sign-in form. */
export const isSignInPage = (page: Page): boolean => page.text.includes('id="password"');

/**
 * Moves every clock (node-oidc-provider's, the container's systemClock, the stores'
 * expiry, the test's cookie jar) by shifting Date.now; undone by `restore()`.
 */
export class TimeShift {
  private offset = 0;
  private readonly spy;
  constructor() {
    const real = Date.now.bind(Date);
    this.spy = jest.spyOn(Date, 'now').mockImplementation(() => real() + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  restore(): void {
    this.spy.mockRestore();
  }
}

/** The 6-digit code of the latest message the outbox holds for `to`, as a person reads or hears it. */
export async function latestCode(app: TestApp, to: string): Promise<string> {
  const entry = await latestMessage(app, to);
  if (entry.kind !== 'voice') return codeIn(entry);
  const spoken = /\d(, \d){5}/.exec(entry.text)?.[0];
  if (!spoken) throw new Error(`No spoken code in: ${entry.text}`);
  return spoken.replace(/, /g, '');
}

export async function latestMessage(app: TestApp, to: string): Promise<OutboxEntry> {
  const entries = (await app.container.delivery.outbox!.read()).filter((e) => e.to === to);
  const last = entries.at(-1);
  if (!last) throw new Error(`No message for ${to}`);
  return last;
}

/** Security notifications the outbox holds for `to`. */
export async function notifications(app: TestApp, to: string): Promise<OutboxEntry[]> {
  return (await app.container.delivery.outbox!.read()).filter((e) => e.to === to && e.subject?.startsWith('Latchkey security alert'));
}

/** What a person chooses on the backup method form: a phone number (with `to`, the E.164 number the code goes to) or an email address. */
export type BackupChoice = { channel: 'sms' | 'voice'; country: string; number: string; to: string } | { email: string };

/** A factor as the security page lists it. */
export interface ListedFactor {
  id: string;
  text: string;
}

/**
 * The account console as a person uses it (page object): every helper follows redirects
 * while they stay on Latchkey and signs in (or re-authenticates) through the real /auth
 * flow whenever the console sends the browser there.
 */
export class ConsolePages {
  readonly browser: Browser;

  constructor(
    readonly app: TestApp,
    readonly person: Person,
    browser?: Browser,
  ) {
    this.browser = browser ?? new Browser(app.url);
  }

  /** Follows from `url`; when that ends on the sign-in page, signs in and returns where the console lands. */
  async visit(url: string): Promise<Landing> {
    const page = await this.browser.follow(url);
    return isSignInPage(page) ? this.signIn(page) : page;
  }

  async signIn(loginPage: Landing): Promise<Landing> {
    return signInAs(this.browser, loginPage, this.person);
  }

  /** Posts a console form with the page's CSRF token (the one of the form posting to `action`), following redirects; signs in again when sent to. */
  async submit(page: Page, action: string, fields: Record<string, string> = {}): Promise<Landing> {
    const landing = await this.browser.submit(action, { _csrf: csrfFor(page, action), ...fields });
    return isSignInPage(landing) ? this.signIn(landing) : landing;
  }

  /** Posts without following: what the console answers to this one request. */
  async post(page: Page, action: string, fields: Record<string, string> = {}): Promise<Page> {
    return this.browser.post(action, { _csrf: csrfFor(page, action), ...fields });
  }

  security(): Promise<Landing> {
    return this.visit('/account/security');
  }

  /** The factors /account/security lists, in its order. */
  async factors(): Promise<ListedFactor[]> {
    return listedFactors(await this.security());
  }

  /** Adds an authenticator app end to end; returns its secret (as "Can't scan?" shows it) and where the console lands. */
  async addTotp(): Promise<{ secret: string; page: Landing }> {
    const begin = await this.visit('/account/security/add/totp');
    expect(begin.text).toContain('Set up: Authenticator app');
    const confirm = await this.submit(begin, '/account/security/add/totp');
    expect(confirm.url).toMatch(/\/account\/security\/add\/totp\/confirm$/);
    const secret = totpSecretOn(confirm);
    const page = await this.saveRecoveryCodesIfShown(
      await this.submit(confirm, '/account/security/add/totp/confirm', { action: 'finish', code: totpCode(secret, Date.now()) }),
    );
    return { secret, page };
  }

  /** Adds an email code factor for `address`, reading the code from the outbox. */
  async addEmail(address: string): Promise<Landing> {
    const begin = await this.visit('/account/security/add/email');
    const confirm = await this.submit(begin, '/account/security/add/email', { email: address });
    expect(confirm.text).toContain('We sent a code to');
    return this.saveRecoveryCodesIfShown(await this.submit(confirm, '/account/security/add/email/confirm', { action: 'finish', code: await latestCode(this.app, address) }));
  }

  /** The first factor shows the recovery key and backup codes: a person saves them and goes on. */
  async saveRecoveryCodesIfShown(page: Landing): Promise<Landing> {
    if (!page.text.includes('<h1>Save your recovery key and backup codes</h1>')) return page;
    return this.submit(page, '/account/security/recovery-codes', { action: 'saved', saved: 'yes' });
  }

  /** Adds a phone factor (text or call) for a number typed with `country` chosen; the code from the outbox's message to `e164`. */
  async addPhone(country: string, number: string, e164: string, channel: 'sms' | 'voice' = 'sms'): Promise<Landing> {
    const begin = await this.visit('/account/security/add/phone');
    const confirm = await this.submit(begin, '/account/security/add/phone', { country, number, channel });
    expect(confirm.text).toContain('We sent a code to');
    return this.saveRecoveryCodesIfShown(await this.submit(confirm, '/account/security/add/phone/confirm', { action: 'finish', code: await latestCode(this.app, e164) }));
  }

  // --- Backup method (/account/security/backup): the steps of the support article ---

  /** The "Backup method" section of /account/security as a person reads it (undefined when it is not offered). */
  async backupSection(): Promise<string | undefined> {
    const page = await this.security();
    const section = /<h2>Backup method<\/h2>([\s\S]*?Tip:[^<]*)/.exec(page.text)?.[1];
    return section?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  }

  /** *Set up backup method* (or *Change backup method*), then *Phone number* or *Email address*: that kind's form. */
  async backupForm(kind: 'phone' | 'email'): Promise<Landing> {
    const chooser = await this.visit('/account/security/backup');
    expect(chooser.text).toContain(`href="/account/security/backup/${kind}"`);
    return this.visit(`/account/security/backup/${kind}`);
  }

  /** Fills the backup form and selects Continue: the code page, or the form again with its error. */
  async beginBackup(choice: BackupChoice): Promise<Landing> {
    const kind = 'email' in choice ? 'email' : 'phone';
    const form = await this.backupForm(kind);
    const fields: Record<string, string> = 'email' in choice ? { email: choice.email } : { channel: choice.channel, country: choice.country, number: choice.number };
    return this.submit(form, `/account/security/backup/${kind}`, fields);
  }

  /** Enters the code on the code page and selects Continue. */
  confirmBackup(codePage: Page, code: string): Promise<Landing> {
    return this.submit(codePage, '/account/security/backup/confirm', { action: 'finish', code });
  }

  /** *Resend code* or *Start again* on the code page. */
  backupCodePageAction(codePage: Page, action: 'resend' | 'restart'): Promise<Landing> {
    return this.submit(codePage, '/account/security/backup/confirm', { action });
  }

  /**
   * Sets up (or changes) the backup method end to end; `code` reads the code sent to `to`
   * (default: the outbox). Lands on /account/security with the success notice.
   */
  async setUpBackup(choice: BackupChoice, code: (to: string) => Promise<string> = (to) => latestCode(this.app, to)): Promise<Landing> {
    const codePage = await this.beginBackup(choice);
    expect(codePage.url).toMatch(/\/account\/security\/backup\/confirm$/);
    const done = await this.confirmBackup(codePage, await code('email' in choice ? choice.email : choice.to));
    expect(done.text).toContain('successfully set up your backup method.');
    return done;
  }

  async rename(id: string, label: string): Promise<Landing> {
    const form = await this.visit(`/account/security/factors/${id}/rename`);
    return this.submit(form, `/account/security/factors/${id}/rename`, { label });
  }

  async remove(id: string): Promise<Landing> {
    const confirm = await this.visit(`/account/security/factors/${id}/remove`);
    return this.submit(confirm, `/account/security/factors/${id}/remove`);
  }
}

/** The CSRF token of the form posting to `action` on `page` (or the page's first one). */
export function csrfFor(page: Page, action: string): string {
  const forms = [...page.text.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find((m) => m[1]!.replace(/&amp;/g, '&') === action);
  const token = inputValue(form?.[2] ?? page.text, '_csrf');
  if (!token) throw new Error(`No CSRF token for ${action} on (${page.status}):\n${page.text}`);
  return token;
}

export function listedFactors(page: Page): ListedFactor[] {
  return [...page.text.matchAll(/<li>\s*<strong>([\s\S]*?)<\/li>/g)].map((m) => ({
    id: m[1]!.match(/\/account\/security\/factors\/([^/]+)\/rename/)![1]!,
    text: m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(),
  }));
}
