import pino, { type Logger } from 'pino';

export interface CapturedLog {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines: Record<string, unknown>[];
  /** Everything written so far, as written: to check what never appears in it. */
  raw(): string;
}

/** A real pino logger at `info` whose output the test can read. */
export function captureLog(): CapturedLog {
  const written: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void written.push(line) });
  return {
    logger,
    get lines() {
      return written.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    raw: () => written.join(''),
  };
}
