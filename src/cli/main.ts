import { CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { AppError } from '../errors.js';
import { message } from '../messages.js';
import { buildProgram } from './program.js';

try {
  await buildProgram(process.env).parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof AppError) console.error(`Error: ${message(error.code, error.details)}`);
  else if (error instanceof ConfigError) console.error(error.message);
  else console.error(`Error: ${(error as Error).message}`);
  process.exit(1);
}
