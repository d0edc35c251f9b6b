import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface PatchedBinding {
  latchkeyKeptBlocks?: () => number;
  latchkeyReleaseKeptBlocks?: () => number;
}

/** The binary argon2 loads when it was compiled on install (node-gyp-build prefers it to a prebuilt one). */
export function argon2BinaryFile(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('argon2/package.json')), 'build', 'Release', 'argon2.node');
}

function patchedBinding(file: string): PatchedBinding | undefined {
  if (!existsSync(file)) return undefined;
  try {
    // The same file argon2 loaded: require's cache hands back that very module.
    return createRequire(import.meta.url)(file) as PatchedBinding;
  } catch {
    return undefined;
  }
}

/**
 * How many argon2id working blocks the process keeps mapped for the next computations, or
 * undefined when argon2 runs unpatched (a prebuilt binary, `npm ci --ignore-scripts`, no
 * compiler on install, or not Linux). patches/argon2+*.patch keeps at most as many blocks as
 * computations once ran at the same time, outside malloc's heap; unpatched, each block comes
 * from malloc and a process can keep ~20 MB more (docs/architecture.md, "Dependency patches").
 */
export function keptArgon2Blocks(file = argon2BinaryFile()): number | undefined {
  const count = patchedBinding(file)?.latchkeyKeptBlocks;
  return typeof count === 'function' ? count() : undefined;
}

/**
 * The function that unmaps every kept block (none is in use: a block in use is not kept) and
 * returns how many, resolved now so that a timer can call it later without loading anything;
 * one returning 0 when argon2 runs unpatched, where malloc decides instead. The next
 * computation maps its block afresh, so this is for a process that has stopped verifying
 * passwords for a while.
 */
export function keptArgon2BlocksRelease(file = argon2BinaryFile()): () => number {
  const release = patchedBinding(file)?.latchkeyReleaseKeptBlocks;
  return typeof release === 'function' ? release : () => 0;
}
