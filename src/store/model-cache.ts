import type { OidcArtifactStore, OidcModelStore } from './ports.js';

/** An OidcArtifactStore that builds each model's store once (node-oidc-provider asks per model name). */
export function cachedModels(build: (name: string) => OidcModelStore): OidcArtifactStore {
  const models = new Map<string, OidcModelStore>();
  return {
    model(name) {
      let store = models.get(name);
      if (!store) {
        store = build(name);
        models.set(name, store);
      }
      return store;
    },
  };
}
