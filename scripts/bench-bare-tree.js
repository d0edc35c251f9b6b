// The benchmark's "bare" side must be node-oidc-provider as published, not the copy that
// Latchkey runs with its patches/ applied (patch-package, on npm install). This builds a small
// tree beside the project where `oidc-provider` resolves to an unpatched copy:
//
//   node_modules/.cache/latchkey-bench/
//     package.json                 {"type":"module"}, so the copied dist/ stays ESM
//     dist/, scripts/bench-server.js   copies of the project's
//     node_modules/oidc-provider/  the installed package with every patch reversed
//
// Everything else (koa, jose, better-sqlite3, …) resolves up the directory tree to the
// project's own node_modules, so both sides run the same versions of all other packages, and
// the bare server loads node-oidc-provider once (Latchkey's adapter imports its errors too).
// That includes argon2 as Latchkey builds it (patches/argon2+*.patch): both sides' logins
// hash with the same binary, so the comparison leaves argon2 itself out.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const { PATCH_MARK: MARK } = await import('../dist/oidc/provider-patch.js');

/** Builds the tree under `root` and returns the path of its bench-server.js. */
export function prepareBareTree(root) {
  const tree = join(root, 'node_modules', '.cache', 'latchkey-bench');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, 'scripts'), { recursive: true });
  writeFileSync(join(tree, 'package.json'), '{ "type": "module", "private": true }\n');
  cpSync(join(root, 'dist'), join(tree, 'dist'), { recursive: true });
  cpSync(join(root, 'scripts', 'bench-server.js'), join(tree, 'scripts', 'bench-server.js'));
  const provider = join(tree, 'node_modules', 'oidc-provider');
  cpSync(join(root, 'node_modules', 'oidc-provider'), provider, { recursive: true });

  const patchDir = join(root, 'patches');
  const patches = existsSync(patchDir) ? readdirSync(patchDir).filter((f) => f.startsWith('oidc-provider+')) : [];
  for (const patch of patches) {
    // The patch's paths are a/node_modules/oidc-provider/<file>: strip three parts, apply in the copy.
    const file = join(patchDir, patch);
    execFileSync('git', ['apply', '--reverse', '-p3', `--directory=${relative(root, provider)}`, file], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    for (const [, path] of readFileSync(file, 'utf8').matchAll(/^\+\+\+ b\/node_modules\/oidc-provider\/(\S+)$/gm)) {
      if (readFileSync(join(provider, path), 'utf8').includes(MARK)) throw new Error(`the bare provider copy still carries Latchkey's patch (${path})`);
    }
  }
  return join(tree, 'scripts', 'bench-server.js');
}
