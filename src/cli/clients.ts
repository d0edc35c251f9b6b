import { InvalidArgumentError, type Command } from 'commander';
import { AppError } from '../errors.js';
import type { WithContainer } from './program.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const ACR_HELP =
  'level every sign-in for this client must reach when the request asks for none (repeatable): urn:latchkey:acr:1fa, urn:latchkey:acr:2fa, phr';

const GRANT_TYPES_HELP =
  'grant type (repeatable): authorization_code, refresh_token, client_credentials (confidential clients only), urn:ietf:params:oauth:grant-type:device_code';

function parseBoolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('Use true or false.');
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

export function registerClientCommands(program: Command, withContainer: WithContainer): void {
  const clients = program.command('clients').description('Manage OpenID Connect clients (relying parties)');

  clients
    .command('create')
    .description('Register a client and print it as JSON (with client_secret for confidential clients, shown only this once)')
    .requiredOption('--name <name>', 'name shown to users')
    .option('--redirect-uri <uri>', 'allowed redirect URI (repeatable)', collect, [])
    .option('--post-logout-redirect-uri <uri>', 'allowed post-logout redirect URI (repeatable)', collect, [])
    .option('--grant-type <type>', GRANT_TYPES_HELP, collect, [])
    .option('--public', 'public client: no secret, PKCE only (native apps, SPAs, devices)', false)
    .option('--resource-server', "resource server: may introspect other clients' access tokens (confidential clients only)", false)
    .option('--default-acr <acr>', ACR_HELP, collect, [])
    .action(
      (opts: {
        defaultAcr: string[];
        name: string;
        redirectUri: string[];
        postLogoutRedirectUri: string[];
        grantType: string[];
        public: boolean;
        resourceServer: boolean;
      }) =>
        withContainer(async (c) => {
          print(
            await c.clients.create({
              name: opts.name,
              redirectUris: opts.redirectUri,
              postLogoutRedirectUris: opts.postLogoutRedirectUri,
              grantTypes: opts.grantType,
              public: opts.public,
              resourceServer: opts.resourceServer,
              defaultAcrValues: opts.defaultAcr,
            }),
          );
        }),
    );

  clients
    .command('update')
    .description('Change a client (same client_id and secret) and print it as JSON; a repeatable option replaces the whole list')
    .argument('<client_id>')
    .option('--name <name>', 'name shown to users')
    .option('--redirect-uri <uri>', 'allowed redirect URI (repeatable)', collect)
    .option('--post-logout-redirect-uri <uri>', 'allowed post-logout redirect URI (repeatable)', collect)
    .option('--grant-type <type>', GRANT_TYPES_HELP, collect)
    .option('--resource-server <true|false>', "whether it may introspect other clients' access tokens", parseBoolean)
    .option('--default-acr <acr>', `${ACR_HELP}; "none" removes them`, collect)
    .action(
      (
        clientId: string,
        opts: { name?: string; redirectUri?: string[]; postLogoutRedirectUri?: string[]; grantType?: string[]; resourceServer?: boolean; defaultAcr?: string[] },
      ) =>
        withContainer(async (c) => {
          print(
            await c.clients.update(clientId, {
              name: opts.name,
              redirectUris: opts.redirectUri,
              postLogoutRedirectUris: opts.postLogoutRedirectUri,
              grantTypes: opts.grantType,
              resourceServer: opts.resourceServer,
              defaultAcrValues: opts.defaultAcr?.filter((acr) => acr !== 'none'),
            }),
          );
        }),
    );

  clients
    .command('rotate-secret')
    .description('Give a confidential client a new secret and print it once; the old secret stops working at once')
    .argument('<client_id>')
    .action((clientId: string) =>
      withContainer(async (c) => {
        print(await c.clients.rotateSecret(clientId));
      }),
    );

  clients
    .command('list')
    .description('List clients (secrets are not shown)')
    .action(() =>
      withContainer(async (c) => {
        print(await c.clients.list());
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
