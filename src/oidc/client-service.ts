import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { SecretBox } from '../crypto/secret-box.js';
import { AppError } from '../errors.js';
import type { ClientMetadata, ClientStore } from '../store/ports.js';
import { brokenClientRule, RESOURCE_SERVER } from './client-policy.js';
import { sealClientSecret } from './client-secrets.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface NewClientInput {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  /** A public client (native app, SPA, device) has no secret and must use PKCE. */
  public?: boolean;
  /** May introspect other clients' access tokens (see token-privacy.ts); confidential clients only. */
  resourceServer?: boolean;
  /** The acr every sign-in for this client must reach when the request names none (acr-policy.ts). */
  defaultAcrValues?: string[];
}

/** What `update` may change; absent fields are kept. The client_id and the secret never change here. */
export interface ClientChanges {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  resourceServer?: boolean;
  /** Replaces the default acr values; an empty list removes them. */
  defaultAcrValues?: string[];
}

export interface ClientService {
  /** The registered client, with its client_secret in plaintext: the only time it is shown. */
  create(input: NewClientInput): Promise<ClientMetadata>;
  /** The updated client, without its secret. Throws AppError unknown_client when there is none. */
  update(clientId: string, changes: ClientChanges): Promise<ClientMetadata>;
  /** A new secret, shown once; the old one stops working at once. */
  rotateSecret(clientId: string): Promise<{ client_id: string; client_secret: string }>;
  /** Every client, without secrets. */
  list(): Promise<ClientMetadata[]>;
  delete(clientId: string): Promise<boolean>;
}

const newSecret = () => randomBytes(32).toString('base64url');

/**
 * 128 random bits, base64url, starting with a letter or digit: an id beginning with "-"
 * would be read as an option by `latchkey clients delete <id>` and most other shells' tools.
 */
function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

const withoutSecret = ({ client_secret: _secret, ...rest }: ClientMetadata): ClientMetadata => rest;

/** response_types follow grant_types: only the code flow has an authorization response. */
function withGrantTypes(metadata: ClientMetadata, grantTypes: string[]): ClientMetadata {
  const unique = [...new Set(grantTypes)];
  return { ...metadata, grant_types: unique, response_types: unique.includes('authorization_code') ? ['code'] : [] };
}

/**
 * Registers and maintains relying parties. Metadata passes Latchkey's client rules
 * (client-policy.ts) and node-oidc-provider's own validation before it is stored, and the
 * secret is stored sealed (client-secrets.ts).
 */
export function createClientService(deps: { clients: ClientStore; provider: Provider; box: SecretBox }): ClientService {
  async function validate(metadata: ClientMetadata): Promise<void> {
    const broken = brokenClientRule(metadata);
    if (broken) throw new AppError(broken, 400);
    try {
      await deps.provider.Client.validate(metadata as never);
    } catch (error) {
      const detail = (error as { error_description?: string }).error_description ?? (error as Error).message;
      throw new AppError('invalid_client_metadata', 400, { detail });
    }
  }

  async function existing(clientId: string): Promise<ClientMetadata> {
    const stored = await deps.clients.find(clientId);
    if (!stored) throw new AppError('unknown_client', 404, { clientId });
    return stored;
  }

  /** Writes a validated change; a client deleted in the meantime is reported as unknown. */
  async function replace(metadata: ClientMetadata): Promise<void> {
    if (!(await deps.clients.update(metadata))) throw new AppError('unknown_client', 404, { clientId: metadata.client_id });
  }

  return {
    async create(input) {
      const base: ClientMetadata = {
        client_id: newClientId(),
        client_name: input.name,
        redirect_uris: input.redirectUris,
        post_logout_redirect_uris: input.postLogoutRedirectUris ?? [],
        token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
        ...(input.public ? {} : { client_secret: newSecret() }),
        ...(input.resourceServer ? { [RESOURCE_SERVER]: true } : {}),
        ...(input.defaultAcrValues?.length ? { default_acr_values: input.defaultAcrValues } : {}),
      };
      const metadata = withGrantTypes(base, input.grantTypes?.length ? input.grantTypes : ['authorization_code', 'refresh_token']);
      await validate(metadata);
      await deps.clients.create(sealClientSecret(metadata, deps.box));
      return metadata;
    },

    async update(clientId, changes) {
      // The stored secret stays sealed: it is validated as the string it is and written back untouched.
      let metadata = await existing(clientId);
      if (changes.name !== undefined) metadata = { ...metadata, client_name: changes.name };
      if (changes.redirectUris) metadata = { ...metadata, redirect_uris: changes.redirectUris };
      if (changes.postLogoutRedirectUris) metadata = { ...metadata, post_logout_redirect_uris: changes.postLogoutRedirectUris };
      if (changes.grantTypes?.length) metadata = withGrantTypes(metadata, changes.grantTypes);
      if (changes.resourceServer === true) metadata = { ...metadata, [RESOURCE_SERVER]: true };
      if (changes.resourceServer === false) {
        const { [RESOURCE_SERVER]: _dropped, ...rest } = metadata;
        metadata = rest as ClientMetadata;
      }
      if (changes.defaultAcrValues?.length) metadata = { ...metadata, default_acr_values: changes.defaultAcrValues };
      if (changes.defaultAcrValues && changes.defaultAcrValues.length === 0) {
        const { default_acr_values: _dropped, ...rest } = metadata;
        metadata = rest as ClientMetadata;
      }
      await validate(metadata);
      await replace(metadata);
      return withoutSecret(metadata);
    },

    async rotateSecret(clientId) {
      const metadata = await existing(clientId);
      if (metadata.token_endpoint_auth_method === 'none') throw new AppError('public_client_no_secret', 400, { clientId });
      const clientSecret = newSecret();
      await replace(sealClientSecret({ ...metadata, client_secret: clientSecret }, deps.box));
      return { client_id: clientId, client_secret: clientSecret };
    },

    list: async () => (await deps.clients.list()).map(withoutSecret),
    delete: (clientId) => deps.clients.delete(clientId),
  };
}
