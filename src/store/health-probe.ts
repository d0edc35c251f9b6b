import type { BackendHealth } from './ports.js';

/**
 * Runs a backend's ping with a bound and reports it for /readyz; never throws, so one
 * backend down cannot hide the state of the others.
 */
export async function probeHealth(name: string, ping: () => Promise<unknown>, timeoutMs: number): Promise<BackendHealth[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`ping timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([ping(), timeout]);
    return [{ name, ok: true }];
  } catch (error) {
    const cause = (error as Error).cause;
    const message = cause instanceof Error ? cause.message : (error as Error).message;
    return [{ name, ok: false, error: message }];
  } finally {
    clearTimeout(timer);
  }
}
