import { expect } from '@jest/globals';
import type { Browser, Page } from './browser.js';
import { inputValue } from './browser.js';
import type { Landing } from './flow.js';

/**
 * Page object for "Create account" and "Forgot password": each helper fills one page's
 * form (as a person would, with the page's own CSRF token) and follows redirects while
 * they stay on Latchkey.
 */

/** The form whose action ends with `path` and, when given, whose hidden `action` is `hidden`. */
export function formFor(page: Page, path: string, hidden?: string): { action: string; csrf: string } {
  const forms = [...page.text.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find((m) => m[1]!.replace(/&amp;/g, '&').endsWith(path) && (!hidden || m[2]!.includes(`name="action" value="${hidden}"`)));
  if (!form) throw new Error(`No form for ${path} ${hidden ?? ''} on (${page.status}):\n${page.text}`);
  return { action: form[1]!.replace(/&amp;/g, '&'), csrf: inputValue(form[2]!, '_csrf')! };
}

/** "Create account" on the sign-in page. */
export async function openSignUp(browser: Browser, signInPage: Page): Promise<Landing> {
  const { action, csrf } = formFor(signInPage, '/signup-start');
  const page = await browser.submit(action, { _csrf: csrf });
  expect(page.text).toContain('<h1>Create account</h1>');
  return page;
}

export interface SignUpFields {
  name: string;
  email: string;
  password: string;
}

export async function submitSignUp(browser: Browser, page: Page, fields: SignUpFields): Promise<Landing> {
  const { action, csrf } = formFor(page, '/signup');
  return browser.submit(action, { _csrf: csrf, ...fields });
}

/** On "Enter code": the code, "Resend code" or "Cancel". */
export async function submitSignUpCode(browser: Browser, page: Page, code: string): Promise<Landing> {
  const { action, csrf } = formFor(page, '/signup-code', 'verify');
  return browser.submit(action, { _csrf: csrf, action: 'verify', code });
}

/** On "Join a subscription" right after sign-up: "Skip for now". */
export async function skipJoinOffer(browser: Browser, page: Page): Promise<Landing> {
  const { action, csrf } = formFor(page, '/join', 'skip');
  return browser.submit(action, { _csrf: csrf, action: 'skip' });
}

/** "Enter code" with the right code, then skipping the join offer: where a new account goes next. */
export async function finishSignUp(browser: Browser, page: Page, code: string): Promise<Landing> {
  const offer = await submitSignUpCode(browser, page, code);
  if (!offer.text.includes('<h1>Join a subscription</h1>')) throw new Error(`Expected the join offer, got ${offer.status}:\n${offer.text}`);
  return skipJoinOffer(browser, offer);
}

export async function signUpAction(browser: Browser, page: Page, path: '/signup' | '/signup-code' | '/signup-taken', action: string): Promise<Landing> {
  const form = formFor(page, path, action);
  return browser.submit(form.action, { _csrf: form.csrf, action });
}

/** The href of the link whose text is `label`. */
export function linkTo(page: Page, label: string): string {
  const link = [...page.text.matchAll(/<a[^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/g)].find((m) => m[2]!.trim() === label);
  if (!link) throw new Error(`No link "${label}" on:\n${page.text}`);
  return link[1]!.replace(/&amp;/g, '&');
}

/** "Forgot password" from a page that links to it, then the email address. */
export async function requestReset(browser: Browser, forgotUrl: string, email: string): Promise<Landing> {
  const form = await browser.follow(forgotUrl);
  expect(form.text).toContain('<h1>Forgot password</h1>');
  const { action, csrf } = formFor(form, '/password/forgot');
  const fields: Record<string, string> = { _csrf: csrf, email };
  const interaction = inputValue(form.text, 'interaction');
  if (interaction) fields.interaction = interaction;
  return browser.submit(action, fields);
}

/** The reset link in an email's text. */
export function resetLinkIn(text: string): URL {
  const link = /https?:\/\/\S+\/password\/reset\?token=[A-Za-z0-9._-]+/.exec(text)?.[0];
  if (!link) throw new Error(`No reset link in: ${text}`);
  return new URL(link);
}

/** Opens a reset link and submits a new password on its page. */
export async function chooseNewPassword(browser: Browser, link: URL | Page, password: string): Promise<Landing> {
  const page = link instanceof URL ? await browser.follow(link.pathname + link.search) : link;
  const { action, csrf } = formFor(page, '/password/reset');
  return browser.submit(action, { _csrf: csrf, token: inputValue(page.text, 'token') ?? '', password });
}
