import { Command } from 'commander';
import pino from 'pino';
import { loadConfig } from '../config/load.js';
import { buildContainer, type Container } from '../container.js';
import { registerAuditCommands } from './audit.js';
import { registerClientCommands } from './clients.js';
import { registerDbCommands } from './db.js';
import { processSecretInput, type SecretInput } from './read-secret.js';
import { registerSubscriptionCommands } from './subscriptions.js';
import { registerUserCommands } from './users.js';

/** Runs an action on a container built from the same configuration and store as the server. */
export type WithContainer = (action: (c: Container) => Promise<void>) => Promise<void>;

export function containerRunner(env: NodeJS.ProcessEnv): WithContainer {
  return async (action) => {
    const container = await buildContainer(loadConfig(env), { logger: pino({ level: 'silent' }) });
    try {
      await action(container);
    } finally {
      await container.close();
    }
  };
}

/**
 * The `latchkey` command tree; `env` is the environment it configures itself from, `input`
 * where it reads passwords (the terminal and standard input by default).
 */
export function buildProgram(env: NodeJS.ProcessEnv, input: SecretInput = processSecretInput()): Command {
  const program = new Command('latchkey')
    .description('Administer a Latchkey OpenID Connect provider (uses the same configuration as the server).')
    .exitOverride();
  const withContainer = containerRunner(env);
  registerUserCommands(program, withContainer, input);
  registerClientCommands(program, withContainer);
  registerSubscriptionCommands(program, withContainer);
  registerAuditCommands(program, withContainer);
  registerDbCommands(program, env);
  return program;
}
