import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientStore, OidcArtifactStore, OidcPayload } from '../store/ports.js';

/** Clients are long-lived records (the client store); every other model is a provider artifact. */
class ClientAdapter implements Adapter {
  constructor(private readonly clients: ClientStore) {}
  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    await this.clients.create({ ...(payload as Record<string, unknown>), client_id: id });
  }
  async find(id: string): Promise<AdapterPayload | undefined> {
    return ((await this.clients.find(id)) ?? undefined) as AdapterPayload | undefined;
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

/** The node-oidc-provider adapter factory over our storage ports. */
export function createAdapterFactory(artifacts: OidcArtifactStore, clients: ClientStore) {
  return (name: string): Adapter => {
    if (name === 'Client') return new ClientAdapter(clients);
    const store = artifacts.model(name);
    return {
      upsert: (id, payload, expiresIn) => store.upsert(id, payload as OidcPayload, expiresIn),
      find: (id) => store.find(id) as Promise<AdapterPayload | undefined>,
      findByUid: (uid) => store.findByUid(uid) as Promise<AdapterPayload | undefined>,
      findByUserCode: (code) => store.findByUserCode(code) as Promise<AdapterPayload | undefined>,
      consume: async (id) => {
        await store.consume(id);
      },
      destroy: (id) => store.destroy(id),
      revokeByGrantId: (grantId) => store.revokeByGrantId(grantId),
    };
  };
}
