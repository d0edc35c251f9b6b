import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Reads `.env` from the working directory into process.env when it exists. Variables
 * already set in the environment win, so a deployment can override the file. Returns the
 * file's path when one was read.
 */
export function loadEnvFile(file = '.env'): string | undefined {
  const path = resolve(file);
  if (!existsSync(path)) return undefined;
  process.loadEnvFile(path);
  return path;
}
