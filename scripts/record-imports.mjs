// `node --import ./scripts/record-imports.mjs …` (used by scripts/bench.js): appends the URL of
// every ES module resolved from node_modules to the file BENCH_IMPORTS_FILE names, so the bench
// can tell which optional packages a plain start loads.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (process.env.BENCH_IMPORTS_FILE && resolved.url.includes('/node_modules/')) appendFileSync(process.env.BENCH_IMPORTS_FILE, resolved.url + '\\n');
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
