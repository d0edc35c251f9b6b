import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { accountByEmail } from './account-lookup.js';
import type { WithContainer } from './program.js';
import { readNewPassword, type SecretInput } from './read-secret.js';

/** Lengths of what `reset-2fa` writes to the audit log. */
const MAX_TEXT = { reason: 500, by: 100 } as const;

export function registerUserCommands(program: Command, withContainer: WithContainer, input: SecretInput): void {
  const users = program.command('users').description('Manage end-user accounts');

  users
    .command('create')
    .description('Create an account')
    .requiredOption('--email <email>', 'email address (unique, case-insensitive)')
    .option('--password <password>', 'password, 8 to 128 characters (visible in shell history: prefer the prompt or --password-stdin)')
    .option('--password-stdin', 'read the password from standard input', false)
    .option('--name <name>', 'display name')
    .option('--verified', 'mark the email address as verified', false)
    .action(async (opts: { email: string; password?: string; passwordStdin: boolean; name?: string; verified: boolean }) => {
      if (opts.password !== undefined && opts.passwordStdin) throw new Error('Give either --password or --password-stdin, not both.');
      const password = opts.password ?? (await readNewPassword(input, opts.passwordStdin));
      await withContainer(async (c) => {
        const account = await c.accounts.create({
          email: opts.email,
          password,
          name: opts.name ?? null,
          emailVerified: opts.verified,
        });
        console.log(JSON.stringify({ id: account.id, email: account.email, name: account.name, email_verified: account.emailVerified }, null, 2));
      });
    });

  users
    .command('list')
    .description('List accounts')
    .action(() =>
      withContainer(async (c) => {
        const accounts = await c.accounts.list();
        console.log(
          JSON.stringify(
            accounts.map((a) => ({ id: a.id, email: a.email, name: a.name, email_verified: a.emailVerified, disabled: a.disabled, created_at: new Date(a.createdAt).toISOString() })),
            null,
            2,
          ),
        );
      }),
    );

  users
    .command('reset-2fa')
    .description(
      'Support’s 2FA reset for someone who lost every way to sign in: removes their sign-in methods, recovery key, backup codes and backup method, ends their sessions, makes their next sign-in set up a new method, emails them and audits who did it and why',
    )
    .requiredOption('--email <email>', 'email address of the account')
    .requiredOption('--reason <reason>', `why (kept in the account's audit log, which its owner reads), at most ${MAX_TEXT.reason} characters`)
    .option('--by <name>', 'who is doing it (default: your operating-system user name)')
    .action(async (opts: { email: string; reason: string; by?: string }) => {
      // Checked before the store is opened: nothing is changed without an accountable reason and name.
      const reason = auditText('--reason', opts.reason, MAX_TEXT.reason);
      const by = auditText('--by', opts.by ?? osUserName(), MAX_TEXT.by);
      await withContainer(async (c) => {
        const account = await accountByEmail(c, opts.email);
        const hadRecoverySet = (await c.stores.recoveryCodes.get(account.id)) !== null;
        const removed = await c.twoFactorReset.bySupport(account, { reason, by });
        console.log(
          JSON.stringify(
            {
              id: account.id,
              email: account.email,
              factors_removed: removed.factorsRemoved,
              recovery_codes_removed: hadRecoverySet,
              backup_method_removed: removed.backupMethodRemoved,
              sessions_ended: true,
              enrolment_required: true,
              by,
              reason,
            },
            null,
            2,
          ),
        );
      });
    });
}

/** Text for the audit log: trimmed, not empty, bounded, and one plain line (no control characters to forge lines with). */
function auditText(option: string, value: string, max: number): string {
  const text = value.trim();
  if (text.length === 0) throw new Error(`${option} must not be empty.`);
  if (text.length > max) throw new Error(`${option} must be at most ${max} characters (it has ${text.length}).`);
  if (/[\p{Cc}\p{Cf}]/u.test(text)) throw new Error(`${option} must be one line of plain text (no control characters).`);
  return text;
}

function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    // Containers may run under a uid without a passwd entry.
    throw new Error('Your operating-system user name is unknown here: say who you are with --by <name>.');
  }
}
