import { errors } from 'oidc-provider';
import type { OidcModelStore } from '../store/ports.js';

/** The artifacts issued under a grant, as node-oidc-provider revokes them on a detected reuse. */
const ISSUED_UNDER_GRANT = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode'];

/** What the loser of a consume race is told, per single-use model. */
function refusal(model: string): Error {
  if (model === 'PushedAuthorizationRequest') {
    return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  }
  return new errors.InvalidGrant(`${model} already used`);
}

/**
 * Consumes a single-use artifact (authorization code, refresh token, device code, pushed
 * request) with the store's one atomic conditional write, and enforces single use on its
 * result: node-oidc-provider decides "already consumed" on a copy it read earlier, so
 * parallel redemptions would all pass its check. The caller that did not consume it gets
 * the protocol error (invalid_grant, 400), and the reuse revokes the grant with everything
 * issued under it (RFC 6749 4.1.2 and 10.4; OAuth 2.0 Security BCP 4.14 for refresh tokens).
 */
export async function consumeOnce(models: (name: string) => OidcModelStore, model: string, id: string): Promise<void> {
  const store = models(model);
  if (await store.consume(id)) return;
  // Read after the atomic write has decided, only to learn which grant to revoke.
  const grantId = (await store.find(id))?.grantId;
  if (grantId) await revokeGrant(models, grantId);
  throw refusal(model);
}

async function revokeGrant(models: (name: string) => OidcModelStore, grantId: string): Promise<void> {
  await Promise.all([
    models('Grant').destroy(grantId),
    ...ISSUED_UNDER_GRANT.map((name) => models(name).revokeByGrantId(grantId)),
  ]);
}
