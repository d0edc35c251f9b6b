import { TEST_PASSWORD } from './app.js';
import { type Browser, formAction, inputValue, type Page } from './browser.js';
import { agreeIfAsked, openLoginForm } from './rp.js';

/** The provider's own form of the given id in a page (its device forms carry an `xsrf` field). */
export function providerForm(html: string, id: string): string {
  const match = html.match(new RegExp(`<form id="${id.replace('.', '\\.')}"[\\s\\S]*?</form>`));
  if (!match) throw new Error(`No form ${id} in:\n${html}`);
  return match[0];
}

/**
 * A person approving a device: types the user code at `verificationUri`, confirms it, signs
 * in and agrees. Returns the page the browser ends on (the provider's success page).
 */
export async function approveDeviceThroughBrowser(
  browser: Browser,
  verificationUri: string,
  userCode: string,
  email: string,
  password = TEST_PASSWORD,
): Promise<Page & { url: string }> {
  const input = providerForm((await browser.get(verificationUri)).text, 'op.deviceInputForm');
  const confirmPage = await browser.post(formAction(input, '/device'), { xsrf: inputValue(input, 'xsrf')!, user_code: userCode });
  const confirm = providerForm(confirmPage.text, 'op.deviceConfirmForm');
  const toLogin = await browser.post(formAction(confirm, '/device'), {
    xsrf: inputValue(confirm, 'xsrf')!,
    user_code: inputValue(confirm, 'user_code')!,
    confirm: inputValue(confirm, 'confirm')!,
  });
  if (!toLogin.location) throw new Error(`Expected a redirect to the sign-in, got ${toLogin.status}:\n${toLogin.text}`);
  const login = await openLoginForm(browser, new URL(toLogin.location, browser.baseUrl));
  return agreeIfAsked(browser, await login.submit(email, password));
}
