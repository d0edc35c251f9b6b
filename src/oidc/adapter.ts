import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { SecretBox } from '../crypto/secret-box.js';
import { cachedModels } from '../store/model-cache.js';
import type { ClientStore, OidcArtifactStore, OidcModelStore, OidcPayload } from '../store/ports.js';
import { withClientRules } from './client-policy.js';
import { openClientSecret, sealClientSecret } from './client-secrets.js';
import { sealedArtifacts } from './sealed-artifacts.js';
import type { SignInCutoff } from './sign-in-cutoff.js';
import { consumeOnce } from './single-use.js';

/** Clients are long-lived records (the client store); every other model is a provider artifact. */
class ClientAdapter implements Adapter {
  constructor(
    private readonly clients: ClientStore,
    private readonly box: SecretBox,
  ) {}
  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    await this.clients.create(sealClientSecret({ ...(payload as Record<string, unknown>), client_id: id }, this.box));
  }
  /** Read on a miss of the client cache (client-cache.ts), which decides when a client is read again. */
  async find(id: string): Promise<AdapterPayload | undefined> {
    const stored = await this.clients.find(id);
    const opened = stored && openClientSecret(stored, this.box);
    return opened ? (withClientRules(opened) as AdapterPayload) : undefined;
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(id: string): Promise<void> {
    await this.clients.delete(id);
  }
  async revokeByGrantId(): Promise<void> {}
}

/**
 * The node-oidc-provider adapter factory over our storage ports. Every backend gets the
 * same treatment here, once: artifacts are stored under digests with sealed payloads
 * (sealed-artifacts.ts), single use is decided by the store's atomic consume
 * (single-use.ts), client secrets are sealed (client-secrets.ts), and artifacts of a
 * sign-in the account has ended since (a password reset) are not found (sign-in-cutoff.ts).
 */
export function createAdapterFactory(artifacts: OidcArtifactStore, clients: ClientStore, box: SecretBox, cutoff?: SignInCutoff) {
  const sealed = cachedModels((name) => sealedArtifacts(artifacts.model(name), name, box));
  const model = (name: string): OidcModelStore => sealed.model(name);
  const clientAdapter = new ClientAdapter(clients, box);

  return (name: string): Adapter => {
    if (name === 'Client') return clientAdapter;
    const store = model(name);
    const checked = cutoff?.applies(name)
      ? async (found: Promise<OidcPayload | undefined>) => {
          const payload = await found;
          return payload && (await cutoff.stillValid(name, payload)) ? (payload as AdapterPayload) : undefined;
        }
      : (found: Promise<OidcPayload | undefined>) => found as Promise<AdapterPayload | undefined>;
    return {
      upsert: (id, payload, expiresIn) => store.upsert(id, payload as OidcPayload, expiresIn),
      find: (id) => checked(store.find(id)),
      findByUid: (uid) => checked(store.findByUid(uid)),
      findByUserCode: (code) => checked(store.findByUserCode(code)),
      consume: (id) => consumeOnce(model, name, id),
      destroy: (id) => store.destroy(id),
      revokeByGrantId: (grantId) => store.revokeByGrantId(grantId),
    };
  };
}
