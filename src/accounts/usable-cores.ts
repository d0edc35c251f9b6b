import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';

/** Reads a whole small file, or undefined when it is missing or unreadable. */
export type ReadFile = (path: string) => string | undefined;

const readIfThere: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

interface CgroupMount {
  /** Where the hierarchy is mounted. */
  point: string;
  /** The cgroup the mount shows at its top (not "/" when a container sees only its own subtree). */
  root: string;
}

/** The mount of the cgroup2 hierarchy, or of the cgroup v1 hierarchy that has the cpu controller. */
function cgroupMount(mountinfo: string, version: 1 | 2): CgroupMount | undefined {
  for (const line of mountinfo.split('\n')) {
    // "id parent major:minor root mount-point options [optional…] - fstype source super-options"
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const fields = before.split(' ');
    const [fstype, , superOptions = ''] = after.split(' ');
    const matches = version === 2 ? fstype === 'cgroup2' : fstype === 'cgroup' && superOptions.split(',').includes('cpu');
    if (matches && fields[3] && fields[4]) return { root: unescapeMountField(fields[3]), point: unescapeMountField(fields[4]) };
  }
  return undefined;
}

/** mountinfo writes spaces, tabs, newlines and backslashes in paths as octal escapes. */
const unescapeMountField = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/**
 * The directories holding the CPU limits that apply to this process, its own cgroup first,
 * then each ancestor up to the top the mount shows (a parent's limit caps its children).
 */
function cgroupDirectories(mount: CgroupMount, cgroupPath: string): string[] {
  const root = mount.root === '/' ? '' : mount.root;
  // A cgroup outside the mount's subtree (another namespace's view) cannot be located here.
  if (root && cgroupPath !== root && !cgroupPath.startsWith(`${root}/`)) return [];
  const relative = cgroupPath.slice(root.length).split('/').filter(Boolean);
  const directories: string[] = [];
  for (let depth = relative.length; depth >= 0; depth--) directories.push(posix.join(mount.point, ...relative.slice(0, depth)));
  return directories;
}

/** cgroup v2's cpu.max ("max 100000" or "<quota> <period>") in `directory`, as CPUs; undefined when unlimited. */
function cpuMaxLimit(read: ReadFile, directory: string): number | undefined {
  const [quota, period] = (read(posix.join(directory, 'cpu.max')) ?? '').trim().split(/\s+/);
  return limit(quota === 'max' ? undefined : Number(quota), Number(period));
}

/** cgroup v1's cpu.cfs_quota_us (-1: unlimited) over cpu.cfs_period_us in `directory`, as CPUs. */
function cfsQuotaLimit(read: ReadFile, directory: string): number | undefined {
  const number = (file: string) => Number(read(posix.join(directory, file))?.trim());
  return limit(number('cpu.cfs_quota_us'), number('cpu.cfs_period_us'));
}

function limit(quota: number | undefined, period: number): number | undefined {
  if (quota === undefined || !Number.isFinite(quota) || quota <= 0 || !Number.isFinite(period) || period <= 0) return undefined;
  return quota / period;
}

/**
 * The CPU quota of the cgroups this process runs in (cgroup v2's cpu.max, or v1's
 * cpu.cfs_quota_us / cpu.cfs_period_us), in whole CPUs rounded up, or undefined when no
 * quota applies or none can be read. Docker's `--cpus` and Kubernetes' CPU limits set this
 * quota without changing the CPU affinity that availableParallelism() reports.
 */
export function cpuQuotaCores(read: ReadFile = readIfThere): number | undefined {
  const membership = read('/proc/self/cgroup');
  const mountinfo = read('/proc/self/mountinfo');
  if (!membership || !mountinfo) return undefined;
  const limits: number[] = [];
  for (const line of membership.split('\n')) {
    // "hierarchy-id:controllers:path"; the path may itself contain ':'.
    const [, id, controllers = '', path = ''] = /^(\d+):([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (!id) continue;
    const version = id === '0' && controllers === '' ? 2 : controllers.split(',').includes('cpu') ? 1 : undefined;
    if (!version) continue;
    const mount = cgroupMount(mountinfo, version);
    if (!mount) continue;
    for (const directory of cgroupDirectories(mount, path)) {
      const found = version === 2 ? cpuMaxLimit(read, directory) : cfsQuotaLimit(read, directory);
      if (found !== undefined) limits.push(found);
    }
  }
  return limits.length ? Math.max(1, Math.ceil(Math.min(...limits))) : undefined;
}

/** How long a CPU quota read is reused: quotas change rarely (a resized pod), affinity reads are cheap. */
export const CPU_QUOTA_REREAD_MS = 10_000;

/**
 * The number of cores this process may use now: its CPU affinity (taskset, a CPU manager),
 * read at each call, bounded by its cgroup's CPU quota, re-read every CPU_QUOTA_REREAD_MS. A
 * process with two host cores and a quota of one CPU can keep only one core busy, so
 * argon2id's limit and its one-core path (accounts/password.ts) must count one.
 */
export function usableCores(options: { quota?: () => number | undefined; affinity?: () => number; now?: () => number } = {}): () => number {
  const { quota = cpuQuotaCores, affinity = availableParallelism, now = Date.now } = options;
  let quotaCores: number | undefined;
  let readAt = -Infinity;
  return () => {
    if (now() - readAt >= CPU_QUOTA_REREAD_MS) {
      quotaCores = quota();
      readAt = now();
    }
    return Math.max(1, Math.min(affinity(), quotaCores ?? Infinity));
  };
}
