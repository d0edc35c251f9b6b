import { expect } from '@jest/globals';
import type { Browser, Page } from './browser.js';
import { formAction, inputValue } from './browser.js';
import { TEST_PASSWORD } from './app.js';
import { agreeIfAsked } from './rp.js';

/**
 * The sign-in pages as a person walks them (page object): each helper fills one step's
 * form and follows redirects while they stay on Latchkey, returning where it lands.
 */
export type Landing = Page & { url: string };

const csrfOf = (page: Page) => {
  const token = inputValue(page.text, '_csrf');
  if (!token) throw new Error(`No form on this page (${page.status}):\n${page.text}`);
  return token;
};

/** The form posting `action` with hidden field action=`value` (pages have several forms to one URL). */
function formWith(page: Page, path: string, hidden?: string): { action: string; csrf: string } {
  const forms = [...page.text.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find((m) => m[1]!.endsWith(path) && (!hidden || m[2]!.includes(`name="action" value="${hidden}"`)));
  if (!form) throw new Error(`No form for ${path} ${hidden ?? ''} on:\n${page.text}`);
  return { action: form[1]!.replace(/&amp;/g, '&'), csrf: inputValue(form[2]!, '_csrf') ?? csrfOf(page) };
}

export async function openSignIn(browser: Browser, authorizationUrl: URL | string): Promise<Landing> {
  const page = await browser.follow(String(authorizationUrl));
  expect(page.text).toContain('id="password"');
  return page;
}

export async function submitPassword(browser: Browser, page: Page, email: string, password = TEST_PASSWORD): Promise<Landing> {
  return browser.submit(formAction(page.text, '/login'), { _csrf: csrfOf(page), email, password });
}

/** Answers the factor step's code form. */
export async function submitCode(browser: Browser, page: Page, code: string): Promise<Landing> {
  const { action, csrf } = formWith(page, '/factor', 'verify');
  return browser.submit(action, { _csrf: csrf, action: 'verify', code });
}

export async function resendCode(browser: Browser, page: Page): Promise<Landing> {
  const { action, csrf } = formWith(page, '/factor', 'resend');
  return browser.submit(action, { _csrf: csrf, action: 'resend' });
}

/** "Authenticate a different way", then the factor whose button contains `label`. */
export async function chooseOtherFactor(browser: Browser, page: Page, label: string): Promise<Landing> {
  const { action, csrf } = formWith(page, '/factor', 'other');
  const list = await browser.submit(action, { _csrf: csrf, action: 'other' });
  expect(list.text).toContain('Authenticate a different way');
  const item = [...list.text.matchAll(/<form[^>]*action="([^"]*\/choose)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[2]!.includes(label));
  if (!item) throw new Error(`No factor "${label}" in:\n${list.text}`);
  return browser.submit(item[1]!, { _csrf: inputValue(item[2]!, '_csrf')!, factor_id: inputValue(item[2]!, 'factor_id')! });
}

/** On "Protect your account": picks the method whose button contains `title`. */
export async function chooseEnrolment(browser: Browser, page: Page, title: string): Promise<Landing> {
  expect(page.text).toContain('Protect your account');
  const item = [...page.text.matchAll(/<form[^>]*action="([^"]*\/enrol-choose)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[2]!.includes(title));
  if (!item) throw new Error(`No method "${title}" in:\n${page.text}`);
  return browser.submit(item[1]!, { _csrf: inputValue(item[2]!, '_csrf')!, kind: inputValue(item[2]!, 'kind')! });
}

/** The authenticator-app secret as "Can't scan?" shows it. */
export function totpSecretOn(page: Page): string {
  const secret = page.text.match(/<code class="secret">([A-Z2-7 ]+)<\/code>/)?.[1];
  if (!secret) throw new Error(`No secret on:\n${page.text}`);
  return secret.replace(/ /g, '');
}

/** Submits the enrolment page's form: `begin` (destination fields) or `finish` (the code). */
export async function submitEnrolment(browser: Browser, page: Page, action: 'begin' | 'finish', fields: Record<string, string>): Promise<Landing> {
  const form = formWith(page, '/enrol', action);
  return browser.submit(form.action, { _csrf: form.csrf, action, ...fields });
}

/** True when `page` shows a new recovery key and backup codes (after turning 2FA on). */
export const showsRecoveryCodes = (page: Page): boolean => page.text.includes('<h1>Save your recovery key and backup codes</h1>');

/** The recovery key and backup codes the page shows. */
export function recoverySecretsOn(page: Page): { recoveryKey: string; codes: string[] } {
  const recoveryKey = page.text.match(/<code class="secret recovery-key">([A-Z2-7-]+)<\/code>/)?.[1];
  const list = page.text.match(/<ol class="backup-codes">([\s\S]*?)<\/ol>/)?.[1];
  if (!recoveryKey || !list) throw new Error(`No recovery codes on:\n${page.text}`);
  return { recoveryKey, codes: [...list.matchAll(/<code>([A-Z2-7-]+)<\/code>/g)].map((m) => m[1]!) };
}

/** Ticks "I have saved my recovery key and backup codes" (or not) and submits. */
export async function saveRecoveryCodes(browser: Browser, page: Page, tick = true): Promise<Landing> {
  const { action, csrf } = formWith(page, '/recovery-codes', 'saved');
  return browser.submit(action, { _csrf: csrf, action: 'saved', ...(tick ? { saved: 'yes' } : {}) });
}

/** From the factor step: "Authenticate a different way", then "Use a backup code" or "Use recovery key", and the code. */
export async function useRecovery(browser: Browser, page: Page, method: 'backup_code' | 'recovery_key', code: string): Promise<Landing> {
  const { action, csrf } = formWith(page, '/factor', 'other');
  const list = await browser.submit(action, { _csrf: csrf, action: 'other' });
  const item = [...list.text.matchAll(/<form[^>]*action="([^"]*\/choose)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[2]!.includes(`value="${method}"`));
  if (!item) throw new Error(`No ${method} in:\n${list.text}`);
  const form = await browser.submit(item[1]!, { _csrf: inputValue(item[2]!, '_csrf')!, recovery: method });
  return submitRecovery(browser, form, code);
}

/** Answers the recovery page's form. */
export async function submitRecovery(browser: Browser, page: Page, code: string): Promise<Landing> {
  const form = formWith(page, '/recovery', 'verify');
  return browser.submit(form.action, { _csrf: form.csrf, action: 'verify', code });
}

/** Agrees on consent when asked and returns the URL the browser is sent to at the app. */
export async function returnToApp(browser: Browser, page: Landing): Promise<URL> {
  // A person who just turned on 2FA saves the recovery codes shown, then goes on.
  if (showsRecoveryCodes(page)) page = await saveRecoveryCodes(browser, page);
  const landing = await agreeIfAsked(browser, page);
  if (!landing.location) throw new Error(`Expected a redirect to the app, got ${landing.status}:\n${landing.text}`);
  return new URL(landing.location);
}

/** From the factor step: "Authenticate a different way", then "Use backup method" (the code page, or "No backup method set up"). */
export async function useBackupMethod(browser: Browser, page: Page): Promise<Landing> {
  const { action, csrf } = formWith(page, '/factor', 'other');
  const list = await browser.submit(action, { _csrf: csrf, action: 'other' });
  const item = [...list.text.matchAll(/<form[^>]*action="([^"]*\/choose)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[2]!.includes('value="backup_method"'));
  if (!item) throw new Error(`No "Use backup method" in:\n${list.text}`);
  expect(item[2]).toContain('Use backup method');
  return browser.submit(item[1]!, { _csrf: inputValue(item[2]!, '_csrf')!, recovery: 'backup_method' });
}

/** Answers "Use backup method" with the code sent to the backup phone or email. */
export async function submitBackupCode(browser: Browser, page: Page, code: string): Promise<Landing> {
  const form = formWith(page, '/backup', 'verify');
  return browser.submit(form.action, { _csrf: form.csrf, action: 'verify', code });
}

/** After the backup code: "Remove the device and add new one", then "Send 2-factor authentication email". */
export async function sendTwoFactorResetEmail(browser: Browser, page: Page): Promise<Landing> {
  expect(page.text).toContain('Remove the device and add new one');
  const offer = formWith(page, '/reset-offer', 'reset');
  const confirm = await browser.submit(offer.action, { _csrf: offer.csrf, action: 'reset' });
  expect(confirm.text).toContain('Send 2-factor authentication email');
  const send = formWith(confirm, '/reset-email', 'send');
  return browser.submit(send.action, { _csrf: send.csrf, action: 'send' });
}

/** Opens the emailed reset link in `browser`: lands on its password page. */
export async function openResetLink(browser: Browser, link: string): Promise<Landing> {
  const page = await browser.follow(link);
  if (page.status === 200) expect(page.text).toContain('Set up 2-factor authentication again');
  return page;
}

/** The reset link's password page (the email is the link's account; only the password is read). */
export async function submitResetPassword(browser: Browser, page: Page, password = TEST_PASSWORD): Promise<Landing> {
  return browser.submit(formAction(page.text, '/login'), { _csrf: csrfOf(page), password });
}

/** On "Set up 2-factor authentication again" (the reset) or "Protect your account": picks the method whose button contains `title`. */
export async function chooseNewMethod(browser: Browser, page: Page, title: string): Promise<Landing> {
  const item = [...page.text.matchAll(/<form[^>]*action="([^"]*\/enrol-choose)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) => m[2]!.includes(title));
  if (!item) throw new Error(`No method "${title}" in:\n${page.text}`);
  return browser.submit(item[1]!, { _csrf: inputValue(item[2]!, '_csrf')!, kind: inputValue(item[2]!, 'kind')! });
}
