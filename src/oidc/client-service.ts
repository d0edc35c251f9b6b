import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import { AppError } from '../errors.js';
import type { ClientMetadata, ClientStore } from '../store/ports.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface NewClientInput {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  /** A public client (native app, SPA, device) has no secret and must use PKCE. */
  public?: boolean;
}

export interface ClientService {
  create(input: NewClientInput): Promise<ClientMetadata>;
  list(): Promise<ClientMetadata[]>;
  delete(clientId: string): Promise<boolean>;
}

/** Registers relying parties; metadata is validated by node-oidc-provider's own rules before it is stored. */
export function createClientService(deps: { clients: ClientStore; provider: Provider }): ClientService {
  return {
    async create(input) {
      const grantTypes = input.grantTypes?.length ? [...new Set(input.grantTypes)] : ['authorization_code', 'refresh_token'];
      const metadata: ClientMetadata = {
        client_id: randomBytes(16).toString('base64url'),
        client_name: input.name,
        redirect_uris: input.redirectUris,
        post_logout_redirect_uris: input.postLogoutRedirectUris ?? [],
        grant_types: grantTypes,
        response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
        token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
        ...(input.public ? {} : { client_secret: randomBytes(32).toString('base64url') }),
      };
      try {
        await deps.provider.Client.validate(metadata as never);
      } catch (error) {
        const detail = (error as { error_description?: string }).error_description ?? (error as Error).message;
        throw new AppError('invalid_client_metadata', 400, { detail });
      }
      await deps.clients.create(metadata);
      return metadata;
    },
    list: () => deps.clients.list(),
    delete: (clientId) => deps.clients.delete(clientId),
  };
}
