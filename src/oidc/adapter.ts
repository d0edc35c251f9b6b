import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { SecretBox } from '../crypto/secret-box.js';
import { cachedModels } from '../store/model-cache.js';
import type { ClientMetadata, ClientStore, OidcArtifactStore, OidcModelStore, OidcPayload } from '../store/ports.js';
import { withClientRules } from './client-policy.js';
import { openClientSecret, sealClientSecret } from './client-secrets.js';
import { sealedArtifacts } from './sealed-artifacts.js';
import type { SignInCutoff } from './sign-in-cutoff.js';
import { consumeOnce } from './single-use.js';

/** Clients opened since they last changed, by client_id (bounded: client ids come from requests). */
const OPENED_CLIENTS = 1000;

/** Deep equality of two JSON values (what a store returns for client metadata). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** Clients are long-lived records (the client store); every other model is a provider artifact. */
class ClientAdapter implements Adapter {
  /**
   * The client row is still read on every request, so a change made anywhere (the CLI,
   * another instance) applies at once, a rotated secret included; only what is derived from
   * an unchanged row (the opened secret, the client rules) is reused, which also hands
   * node-oidc-provider the same object, whose Client it has cached.
   */
  private readonly opened = new Map<string, { stored: ClientMetadata; payload: AdapterPayload }>();
  constructor(
    private readonly clients: ClientStore,
    private readonly box: SecretBox,
  ) {}
  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    await this.clients.create(sealClientSecret({ ...(payload as Record<string, unknown>), client_id: id }, this.box));
  }
  async find(id: string): Promise<AdapterPayload | undefined> {
    const stored = await this.clients.find(id);
    if (!stored) {
      this.opened.delete(id);
      return undefined;
    }
    const known = this.opened.get(id);
    if (known && sameJson(known.stored, stored)) return known.payload;
    const opened = openClientSecret(stored, this.box);
    if (!opened) return undefined;
    const payload = withClientRules(opened) as AdapterPayload;
    if (this.opened.size >= OPENED_CLIENTS) this.opened.clear();
    this.opened.set(id, { stored, payload });
    return payload;
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
  // One for the provider's lifetime: it remembers what it opened.
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
