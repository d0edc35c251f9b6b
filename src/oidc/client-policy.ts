import { errors, type Configuration } from 'oidc-provider';
import { message } from '../messages.js';

/** Client metadata property marking a resource server, allowed to introspect other clients' access tokens. */
export const RESOURCE_SERVER = 'latchkey_resource_server';

type ClientRule = 'public_client_credentials' | 'public_resource_server';

const isPublic = (metadata: Record<string, unknown>) => metadata.token_endpoint_auth_method === 'none';

/**
 * Which client rule the metadata breaks, or null. A public client (no secret) may neither use
 * client_credentials (that grant authenticates the client by its secret alone, so a public
 * one would hand tokens to anyone who knows its client_id) nor be a resource server (one
 * must authenticate to read other clients' tokens).
 */
export function brokenClientRule(metadata: Record<string, unknown>): ClientRule | null {
  if (!isPublic(metadata)) return null;
  if (Array.isArray(metadata.grant_types) && metadata.grant_types.includes('client_credentials')) return 'public_client_credentials';
  if (metadata[RESOURCE_SERVER] === true) return 'public_resource_server';
  return null;
}

/**
 * A stored client as the provider may use it: a public client registered before the rules
 * above existed loses client_credentials and resource-server rights instead of failing to
 * load, so node-oidc-provider never issues or reveals tokens to it on those grounds.
 */
export function withClientRules<T extends Record<string, unknown>>(metadata: T): T {
  if (!isPublic(metadata)) return metadata;
  const { [RESOURCE_SERVER]: _dropped, ...rest } = metadata;
  const grantTypes = Array.isArray(metadata.grant_types) ? metadata.grant_types.filter((g) => g !== 'client_credentials') : metadata.grant_types;
  return { ...rest, grant_types: grantTypes } as unknown as T;
}

/** node-oidc-provider's extraClientMetadata: the resource-server flag, and the client rules on every validation. */
export const extraClientMetadata: NonNullable<Configuration['extraClientMetadata']> = {
  properties: [RESOURCE_SERVER],
  validator(_ctx, key, value, metadata) {
    if (key !== RESOURCE_SERVER) return;
    if (value !== undefined && typeof value !== 'boolean') {
      throw new errors.InvalidClientMetadata(`${RESOURCE_SERVER} must be a boolean`);
    }
    const broken = brokenClientRule(metadata as Record<string, unknown>);
    if (broken) throw new errors.InvalidClientMetadata(message(broken));
  },
};
