import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/*
 * Data at rest on the embedded store: the data directory and everything in it (the SQLite
 * file and its -wal/-shm, secret.key) are readable by the owner only. Permissions are only
 * tightened on paths we own: a directory shared with or owned by someone else (a mounted
 * volume, a path chosen by an operator) is left as it is rather than failing the start.
 */

const ownedByUs = (mode: { uid: number }) => typeof process.getuid !== 'function' || mode.uid === process.getuid();

/** Creates `dir` (and parents) mode 0700, or narrows an existing directory of ours to 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  if (ownedByUs(stat) && (stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/**
 * Creates `file` empty with mode 0600 when it does not exist, and narrows an existing file
 * of ours to 0600. SQLite gives the -wal and -shm files it creates later the mode of the
 * database file, so creating the database file this way covers them too.
 */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  narrowIfExists(file);
}

/** Narrows `file` to 0600 when it exists and is ours (e.g. a -wal left by an older version). */
export function narrowIfExists(file: string): void {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return;
  }
  if (ownedByUs(stat) && (stat.mode & 0o777) !== 0o600) chmodSync(file, 0o600);
}
