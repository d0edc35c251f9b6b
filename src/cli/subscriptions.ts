import type { Command } from 'commander';
import { AppError } from '../errors.js';
import type { Subscription } from '../store/ports.js';
import type { WithContainer } from './program.js';

const iso = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs).toISOString());

const summary = (s: Subscription) => ({
  id: s.id,
  name: s.name,
  owner_account_id: s.ownerAccountId,
  customer_number: s.customerNumber,
  registration_id: s.registrationId,
  created_at: iso(s.createdAt),
});

export function registerSubscriptionCommands(program: Command, withContainer: WithContainer): void {
  const subscriptions = program.command('subscriptions').description('Manage subscriptions (people join them from the account console)');

  subscriptions
    .command('create')
    .description('Create a subscription owned by an existing account; prints its Customer Number and Registration ID')
    .requiredOption('--name <name>', 'the subscription’s name')
    .requiredOption('--owner-email <email>', 'email address of the owner’s account')
    .action((opts: { name: string; ownerEmail: string }) =>
      withContainer(async (c) => {
        const created = await c.subscriptions.create({ name: opts.name, ownerEmail: opts.ownerEmail });
        const owner = await c.stores.accounts.findById(created.ownerAccountId);
        console.log(JSON.stringify({ ...summary(created), owner_email: owner?.email ?? null }, null, 2));
      }),
    );

  subscriptions
    .command('list')
    .description('List subscriptions')
    .action(() =>
      withContainer(async (c) => {
        console.log(JSON.stringify((await c.subscriptions.list()).map(summary), null, 2));
      }),
    );

  subscriptions
    .command('show')
    .description('Show a subscription, its members and its pending requests to join')
    .argument('<id>', 'its id, Customer Number or Registration ID')
    .action((id: string) =>
      withContainer(async (c) => {
        const found = await c.subscriptions.overview(id);
        if (!found) throw new AppError('not_found', 404);
        console.log(
          JSON.stringify(
            {
              ...summary(found.subscription),
              owner_email: found.owner?.email ?? null,
              members: found.members.map(({ member, account }) => ({
                account_id: member.accountId,
                email: account?.email ?? null,
                role: member.role,
                joined_at: iso(member.joinedAt),
              })),
              pending_requests: found.requests
                .filter(({ request }) => request.status === 'pending')
                .map(({ request, requester }) => ({
                  id: request.id,
                  account_id: request.requesterAccountId,
                  email: requester?.email ?? null,
                  requested_at: iso(request.createdAt),
                })),
            },
            null,
            2,
          ),
        );
      }),
    );
}
