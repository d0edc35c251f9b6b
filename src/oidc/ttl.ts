/**
 * Artifact lifetimes in seconds (explicit, so that none depends on a library default). A
 * module of its own so that the benchmark's bare provider uses the same lifetimes without
 * loading Latchkey's provider (and with it the patched node-oidc-provider).
 */
export const PROVIDER_TTL = {
  AccessToken: 60 * 60,
  AuthorizationCode: 60,
  ClientCredentials: 10 * 60,
  DeviceCode: 10 * 60,
  Grant: 14 * 24 * 60 * 60,
  IdToken: 60 * 60,
  Interaction: 30 * 60,
  RefreshToken: 14 * 24 * 60 * 60,
  Session: 14 * 24 * 60 * 60,
};
