import { jest } from '@jest/globals';
import { runCli } from '../../src/cli/run.js';

export interface CliRun {
  /** The exit code `latchkey` would end with. */
  code: number;
  /** What it printed to standard output. */
  out: string;
  /** What it printed to standard error (its own messages and commander's). */
  err: string;
}

/** Runs `latchkey …args` in-process, as bin/latchkey does, and captures what it prints. */
export async function latchkeyCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((text: unknown) => void out.push(String(text)));
  const error = jest.spyOn(console, 'error').mockImplementation((text: unknown) => void err.push(String(text)));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await runCli(['node', 'latchkey', ...args], env);
    return { code, out: out.join('\n'), err: err.join('') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

/** The JSON a successful run printed. */
export function printedJson<T = Record<string, unknown>>(run: CliRun): T {
  if (run.code !== 0) throw new Error(`latchkey exited ${run.code}: ${run.err}`);
  return JSON.parse(run.out) as T;
}
