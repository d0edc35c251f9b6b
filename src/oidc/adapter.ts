import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { SecretBox } from '../crypto/secret-box.js';
import { cachedModels } from '../store/model-cache.js';
import type { ClientStore, OidcArtifactStore, OidcModelStore, OidcPayload } from '../store/ports.js';
import { withClientRules } from './client-policy.js';
import { openClientSecret, sealClientSecret } from './client-secrets.js';
import { sealedArtifacts } from './sealed-artifacts.js';
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
 * (single-use.ts), client secrets are sealed (client-secrets.ts).
 */
export function createAdapterFactory(artifacts: OidcArtifactStore, clients: ClientStore, box: SecretBox) {
  const sealed = cachedModels((name) => sealedArtifacts(artifacts.model(name), name, box));
  const model = (name: string): OidcModelStore => sealed.model(name);

  return (name: string): Adapter => {
    if (name === 'Client') return new ClientAdapter(clients, box);
    const store = model(name);
    return {
      upsert: (id, payload, expiresIn) => store.upsert(id, payload as OidcPayload, expiresIn),
      find: (id) => store.find(id) as Promise<AdapterPayload | undefined>,
      findByUid: (uid) => store.findByUid(uid) as Promise<AdapterPayload | undefined>,
      findByUserCode: (code) => store.findByUserCode(code) as Promise<AdapterPayload | undefined>,
      consume: (id) => consumeOnce(model, name, id),
      destroy: (id) => store.destroy(id),
      revokeByGrantId: (grantId) => store.revokeByGrantId(grantId),
    };
  };
}
