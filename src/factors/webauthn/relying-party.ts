/** Who we are to an authenticator. */
export interface RelyingParty {
  /** The RP ID: the issuer's hostname (no port), which credentials are scoped to. */
  id: string;
  /** The only origin an assertion may come from: scheme, host and port of the issuer. */
  origin: string;
}

/**
 * Security rule "the issuer is the only origin", for WebAuthn: both values come from
 * config.issuer, never from Host or X-Forwarded-* headers, so a proxied phishing page's
 * origin can never be the expected one.
 */
export function relyingParty(issuer: string): RelyingParty {
  const url = new URL(issuer);
  return { id: url.hostname, origin: url.origin };
}
