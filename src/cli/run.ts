import { CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { AppError } from '../errors.js';
import { message } from '../messages.js';
import { buildProgram } from './program.js';

/**
 * Runs `latchkey` with `argv` (process.argv shape) and returns the exit code: 0 on success,
 * otherwise non-zero with the reason printed to stderr (an AppError as its user-facing message).
 */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    await buildProgram(env).parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has already printed its own usage error.
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof AppError) console.error(`Error: ${message(error.code, error.details)}`);
    else if (error instanceof ConfigError) console.error(error.message);
    else console.error(`Error: ${(error as Error).message}`);
    return 1;
  }
}
