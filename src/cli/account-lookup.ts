import type { Container } from '../container.js';
import type { Account } from '../store/ports.js';

/** The account with this email (case-insensitive), or an error that says so: never a silent empty answer. */
export async function accountByEmail(c: Container, email: string): Promise<Account> {
  const account = await c.stores.accounts.findByEmail(email.trim().toLowerCase());
  if (!account) throw new Error(`There is no account with the email address ${email}.`);
  return account;
}
