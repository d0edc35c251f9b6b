import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The line patches/oidc-provider+*.patch adds to node-oidc-provider (checked by the bench too). */
export const PATCH_MARK = 'Patched by Latchkey';

/** The provider file the patch changes, in the installed node-oidc-provider. */
export function patchedProviderFile(): string {
  const main = createRequire(import.meta.url).resolve('oidc-provider');
  return join(dirname(main), 'helpers', 'initialize_app.js');
}

/**
 * Whether node-oidc-provider was installed with Latchkey's patch (npm install applies it;
 * `npm ci --ignore-scripts` does not). Unpatched, everything works but every request stays
 * reachable until a full GC (docs/architecture.md, "Dependency patches"): main.ts warns.
 */
export function providerPatched(file = patchedProviderFile()): boolean {
  try {
    return readFileSync(file, 'utf8').includes(PATCH_MARK);
  } catch {
    return false;
  }
}
