import { Command, CommanderError } from 'commander';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config/load.js';
import { buildContainer, type Container } from '../container.js';
import { AppError } from '../errors.js';
import { message } from '../messages.js';
import { registerClientCommands } from './clients.js';
import { registerDbCommands } from './db.js';
import { registerUserCommands } from './users.js';

/** Runs an action on a container built from the same configuration and store as the server. */
export type WithContainer = (action: (c: Container) => Promise<void>) => Promise<void>;

const withContainer: WithContainer = async (action) => {
  const container = await buildContainer(loadConfig(), { logger: pino({ level: 'silent' }) });
  try {
    await action(container);
  } finally {
    await container.close();
  }
};

const program = new Command('latchkey')
  .description('Administer a Latchkey OpenID Connect provider (uses the same configuration as the server).')
  .exitOverride();
registerUserCommands(program, withContainer);
registerClientCommands(program, withContainer);
registerDbCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof AppError) console.error(`Error: ${message(error.code, error.details)}`);
  else if (error instanceof ConfigError) console.error(error.message);
  else console.error(`Error: ${(error as Error).message}`);
  process.exit(1);
}
