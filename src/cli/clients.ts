import type { Command } from 'commander';
import { AppError } from '../errors.js';
import type { WithContainer } from './program.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerClientCommands(program: Command, withContainer: WithContainer): void {
  const clients = program.command('clients').description('Manage OpenID Connect clients (relying parties)');

  clients
    .command('create')
    .description('Register a client and print it as JSON (with client_secret for confidential clients)')
    .requiredOption('--name <name>', 'name shown to users')
    .option('--redirect-uri <uri>', 'allowed redirect URI (repeatable)', collect, [])
    .option('--post-logout-redirect-uri <uri>', 'allowed post-logout redirect URI (repeatable)', collect, [])
    .option(
      '--grant-type <type>',
      'grant type (repeatable): authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code',
      collect,
      [],
    )
    .option('--public', 'public client: no secret, PKCE only (native apps, SPAs, devices)', false)
    .action(
      (opts: { name: string; redirectUri: string[]; postLogoutRedirectUri: string[]; grantType: string[]; public: boolean }) =>
        withContainer(async (c) => {
          const client = await c.clients.create({
            name: opts.name,
            redirectUris: opts.redirectUri,
            postLogoutRedirectUris: opts.postLogoutRedirectUri,
            grantTypes: opts.grantType,
            public: opts.public,
          });
          console.log(JSON.stringify(client, null, 2));
        }),
    );

  clients
    .command('list')
    .description('List clients (secrets are not shown)')
    .action(() =>
      withContainer(async (c) => {
        const all = await c.clients.list();
        console.log(JSON.stringify(all.map(({ client_secret: _secret, ...rest }) => rest), null, 2));
      }),
    );

  clients
    .command('delete')
    .description('Delete a client')
    .argument('<client_id>')
    .action((clientId: string) =>
      withContainer(async (c) => {
        if (!(await c.clients.delete(clientId))) throw new AppError('unknown_client', 404, { clientId });
        console.log(`Deleted client ${clientId}`);
      }),
    );
}
