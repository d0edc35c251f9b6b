import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Views } from '../http/views.js';
import type { ClientMetadata, Stores } from '../store/ports.js';
import { ENFORCED_ACRS, loginPolicy } from './acr-policy.js';
import { createAdapterFactory } from './adapter.js';
import { cacheClients } from './client-cache.js';
import { createPrompt } from './create-prompt.js';
import { createSignInCutoff } from './sign-in-cutoff.js';
import { extraClientMetadata } from './client-policy.js';
import { createFindAccount } from './find-account.js';
import { accountsPerRequest } from './request-accounts.js';
import type { ProviderKeys } from './keys.js';
import { providerPages } from './provider-pages.js';
import { introspectionAllowed, revocationAllowed } from './token-privacy.js';
import { localSigningKeys } from './signing-keys.js';
import { cookieSigner } from '../crypto/cookie-signer.js';
import { PROVIDER_TTL } from './ttl.js';

export const SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** How long a session nobody signed in to is kept: enough to finish a sign-in, not 14 days. */
export const ANONYMOUS_SESSION_TTL = 10 * 60;

/**
 * Security rule "no storage growth from anonymous traffic": every cookie-less request to
 * /device or /session/end stores a Session; only one with an account earns the full lifetime.
 */
function sessionTtl(_ctx: KoaContextWithOIDC, session: { accountId?: string }): number {
  return session.accountId ? PROVIDER_TTL.Session : ANONYMOUS_SESSION_TTL;
}

export interface ProviderDeps {
  issuer: string;
  keys: ProviderKeys;
  /** Seals artifact payloads and client secrets at rest. */
  box: SecretBox;
  stores: Stores;
  views: Views;
  clock: Clock;
  /**
   * Latchkey's own account console (account/console-client.ts): registered as a static
   * client, and first-party, so its scopes are granted without a consent page.
   */
  firstParty?: { metadata: ClientMetadata; scopes: string };
}

/**
 * Grants live with the session; on a new session, a consent the account gave this client
 * before is restored so that it is asked for only once per client and scope set.
 */
function createLoadExistingGrant(stores: Stores, firstParty: ProviderDeps['firstParty']) {
  return async (ctx: KoaContextWithOIDC) => {
    const { provider, session, client, result } = ctx.oidc;
    if (!client || !session) return undefined;
    const grantId = (result?.consent as { grantId?: string } | undefined)?.grantId ?? session.grantIdFor(client.clientId);
    if (grantId) {
      const existing = await provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const accountId = session.accountId;
    if (!accountId) return undefined;
    if (firstParty && client.clientId === firstParty.metadata.client_id) {
      // The console is Latchkey itself: asking "allow Latchkey to see your email?" would be noise (Keycloak's console skips it too).
      const grant = new provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope(firstParty.scopes);
      await grant.save();
      return grant;
    }
    const remembered = await stores.consents.find(accountId, client.clientId);
    if (!remembered?.length) return undefined;
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(remembered.join(' '));
    await grant.save();
    return grant;
  };
}

export function createProvider(deps: ProviderDeps): Provider {
  const pages = providerPages(deps.views);
  const policy = loginPolicy();
  policy.unshift(createPrompt());
  const accounts = accountsPerRequest(deps.stores.accounts);
  const configuration: Configuration = {
    adapter: createAdapterFactory(deps.stores.oidc, deps.stores.clients, deps.box, createSignInCutoff(accounts)),
    findAccount: createFindAccount(accounts),
    jwks: { keys: localSigningKeys(deps.keys.jwks.keys) } as Configuration['jwks'],
    cookies: { keys: cookieSigner(deps.keys.cookieKeys) },
    scopes: SCOPES,
    claims: {
      // acr/amr/auth_time with every ID token: relying parties must see how the user authenticated.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name', 'updated_at'],
    },
    // Exactly what the flow enforces (acr-policy.ts): a client asking for one of these gets
    // at least that level or unmet_authentication_requirements, never a weaker login.
    acrValues: [...ENFORCED_ACRS],
    // ID tokens carry the claims their scopes grant (email, name, …): most relying-party
    // libraries read them there rather than calling userinfo.
    conformIdTokenClaims: false,
    extraClientMetadata,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // PKCE for every client; node-oidc-provider accepts only S256.
    pkce: { required: () => true },
    // Every authorization request names its redirect_uri (as OIDC Core requires). With the
    // default (true), a failed resume (/auth/:uid) that carries a client_id crashes the
    // provider's error handler (it reads params it never assembled) into a 500.
    allowOmittingSingleRegisteredRedirectUri: false,
    responseTypes: ['code'],
    rotateRefreshToken: true,
    ttl: { ...PROVIDER_TTL, Session: sessionTtl },
    loadExistingGrant: createLoadExistingGrant(deps.stores, deps.firstParty),
    clients: deps.firstParty ? [deps.firstParty.metadata as NonNullable<Configuration['clients']>[number]] : [],
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // node-oidc-provider does not advertise prompt values itself; these are what it accepts.
    discovery: { prompt_values_supported: ['none', ...policy.filter((p) => p.requestable).map((p) => p.name)] },
    features: {
      // A client may demand an essential acr through the claims parameter (OIDC Core 5.5.1.1).
      claimsParameter: { enabled: true },
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Lets jwks hold LocalSigningKeys (signing-keys.ts). Experimental upstream: the ack names the
      // version this was written against, and a provider whose version differs refuses to start.
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true, allowedPolicy: revocationAllowed },
      userinfo: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: pages.userCodeInputSource,
        userCodeConfirmSource: pages.userCodeConfirmSource,
        successSource: pages.successSource,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: pages.logoutSource,
        postLogoutSuccessSource: pages.postLogoutSuccessSource,
      },
    },
    renderError: pages.renderError,
  };
  const provider = new Provider(deps.issuer, configuration);
  cacheClients(provider, { version: () => deps.stores.clients.version(), now: () => deps.clock.now() });
  return provider;
}
