// Part of `npm install` (the postinstall script, after patch-package): compiles the argon2
// package from its patched sources, so that the binary it loads carries
// patches/argon2+*.patch (argon2id's working memory kept outside malloc's heap; see
// docs/architecture.md, "Dependency patches"). argon2's own install may have picked a
// prebuilt binary, made from the unpatched sources, before the patch was applied.
//
// The patch only changes Linux builds, so elsewhere this does nothing. Where the build fails
// (no compiler, say), the install goes on with the binary argon2 had and a warning (passwords
// work the same; a process may keep ~20 MB more memory), and Latchkey repeats it at start.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

if (process.platform !== 'linux') process.exit(0);

const require = createRequire(import.meta.url);
const argon2Dir = dirname(require.resolve('argon2/package.json'));

/**
 * npm hands its own node-gyp to install scripts; run by hand, the one in the npm installed
 * beside this node, then one on the PATH.
 */
function nodeGypCommand() {
  const bundled = ['node_modules', 'node-gyp', 'bin', 'node-gyp.js'];
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', ...bundled),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', ...bundled),
  ].filter(Boolean);
  const script = candidates.find((path) => existsSync(path));
  return script ? [process.execPath, [script, 'rebuild']] : ['node-gyp', ['rebuild']];
}

// node-gyp's rebuild starts by deleting build/: keep argon2's own build to put back on failure
// (on some systems its prebuilt binary does not load, so that build is all it has).
const binary = join(argon2Dir, 'build', 'Release', 'argon2.node');
const ownBuild = existsSync(binary) ? readFileSync(binary) : undefined;

const [command, args] = nodeGypCommand();
const started = Date.now();
const result = spawnSync(command, args, { cwd: argon2Dir, encoding: 'utf8', env: { ...process.env, ZERO_AR_DATE: '1' } });
if (result.status === 0) {
  console.log(`latchkey: built argon2 from its patched sources (${Date.now() - started} ms)`);
} else {
  if (ownBuild) {
    mkdirSync(dirname(binary), { recursive: true });
    writeFileSync(binary, ownBuild);
  }
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  console.warn(
    [
      'latchkey: WARNING: could not build argon2 from its patched sources; it keeps the binary it had.',
      'Passwords work the same, but each process may keep ~20 MB more memory.',
      'Once node-gyp can build here (a C++ toolchain: python3, make, g++; its output is below), run `npm run build:argon2`.',
      result.error ? String(result.error) : output,
    ].join('\n'),
  );
}
