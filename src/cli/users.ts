import type { Command } from 'commander';
import type { WithContainer } from './program.js';

export function registerUserCommands(program: Command, withContainer: WithContainer): void {
  const users = program.command('users').description('Manage end-user accounts');

  users
    .command('create')
    .description('Create an account')
    .requiredOption('--email <email>', 'email address (unique, case-insensitive)')
    .requiredOption('--password <password>', 'password, 8 to 128 characters')
    .option('--name <name>', 'display name')
    .option('--verified', 'mark the email address as verified', false)
    .action((opts: { email: string; password: string; name?: string; verified: boolean }) =>
      withContainer(async (c) => {
        const account = await c.accounts.create({
          email: opts.email,
          password: opts.password,
          name: opts.name ?? null,
          emailVerified: opts.verified,
        });
        console.log(JSON.stringify({ id: account.id, email: account.email, name: account.name, email_verified: account.emailVerified }, null, 2));
      }),
    );

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
