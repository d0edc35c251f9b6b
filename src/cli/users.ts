import type { Command } from 'commander';
import type { WithContainer } from './program.js';
import { readNewPassword, type SecretInput } from './read-secret.js';

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
}
