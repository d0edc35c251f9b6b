import type { TestApp } from './app.js';

export interface ServerErrorWatch {
  /** One line per failure the app logged as a failed request or node-oidc-provider reported as server_error. */
  readonly errors: string[];
  stop(): void;
}

/**
 * Records internal failures that a response may hide: our error handler logs them, and
 * node-oidc-provider renders its own "server_error" pages and only emits an event.
 */
export function watchServerErrors(app: TestApp): ServerErrorWatch {
  const errors: string[] = [];
  const { logger, provider } = app.container;
  const originalError = logger.error;
  const describe = (value: unknown) => (value instanceof Error ? (value.stack ?? value.message) : JSON.stringify(value));
  logger.error = ((obj: unknown, msg?: string) => {
    const err = (obj as { err?: unknown } | undefined)?.err;
    errors.push(`logged: ${msg ?? ''} ${describe(err ?? obj)}`);
  }) as typeof logger.error;
  const onServerError = (_ctx: unknown, err: unknown) => errors.push(`provider server_error: ${describe(err)}`);
  provider.on('server_error', onServerError);
  return {
    errors,
    stop() {
      logger.error = originalError;
      provider.off('server_error', onServerError);
    },
  };
}
