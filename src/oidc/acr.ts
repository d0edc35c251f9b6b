/** Authentication context classes Latchkey asserts in `acr` (the `amr` values say which methods). */
export const ACR = {
  singleFactor: 'urn:latchkey:acr:1fa',
  multiFactor: 'urn:latchkey:acr:2fa',
  /** OpenID EAP ACR Values 1.0: phishing-resistant authentication. */
  phishingResistant: 'phr',
} as const;
