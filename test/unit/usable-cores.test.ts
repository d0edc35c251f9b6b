import { CPU_QUOTA_REREAD_MS, cpuQuotaCores, usableCores } from '../../src/accounts/usable-cores.js';

/** A read-only file system of the given files (everything else is missing). */
const files = (entries: Record<string, string>) => (path: string) => entries[path];

const V2_MOUNT = '30 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n';
const V1_MOUNTS = [
  '32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '34 31 0:31 /docker/abc /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('CPU quota of the cgroups this process runs in (accounts/usable-cores.ts)', () => {
  test('cgroup v2 in a container (its own cgroup at the top of the mount): cpu.max in whole CPUs, rounded up', () => {
    const inContainer = (cpuMax: string) => cpuQuotaCores(files({ '/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': V2_MOUNT, '/sys/fs/cgroup/cpu.max': cpuMax }));
    expect(inContainer('100000 100000\n')).toBe(1);
    expect(inContainer('50000 100000\n')).toBe(1);
    expect(inContainer('150000 100000\n')).toBe(2);
    expect(inContainer('400000 100000\n')).toBe(4);
    expect(inContainer('max 100000\n')).toBeUndefined();
    expect(inContainer('garbage')).toBeUndefined();
  });

  test('cgroup v2 on a host: the tightest limit of the cgroup and its ancestors applies', () => {
    const read = files({
      '/proc/self/cgroup': '0::/system.slice/latchkey.service\n',
      '/proc/self/mountinfo': V2_MOUNT,
      '/sys/fs/cgroup/system.slice/latchkey.service/cpu.max': 'max 100000',
      '/sys/fs/cgroup/system.slice/cpu.max': '200000 100000',
    });
    expect(cpuQuotaCores(read)).toBe(2);
  });

  test('cgroup v1 (Docker without a cgroup namespace): the cpu hierarchy, relative to its mount root; -1 means none', () => {
    const v1 = (quota: string) =>
      cpuQuotaCores(
        files({
          '/proc/self/cgroup': '12:cpuset:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/docker/abc\n',
          '/proc/self/mountinfo': V1_MOUNTS,
          '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': `${quota}\n`,
          '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
        }),
      );
    expect(v1('100000')).toBe(1);
    expect(v1('250000')).toBe(3);
    expect(v1('-1')).toBeUndefined();
  });

  test('no quota can be read: no cgroup files, an unknown format, or a cgroup outside the mount', () => {
    expect(cpuQuotaCores(files({}))).toBeUndefined();
    expect(cpuQuotaCores(files({ '/proc/self/cgroup': 'nonsense', '/proc/self/mountinfo': V2_MOUNT }))).toBeUndefined();
    const elsewhere = files({
      '/proc/self/cgroup': '0::/other/place\n',
      '/proc/self/mountinfo': '30 23 0:27 /mine /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
      '/sys/fs/cgroup/cpu.max': '100000 100000',
    });
    expect(cpuQuotaCores(elsewhere)).toBeUndefined();
  });

  test('usable cores: the affinity, read at each call, bounded by the quota, re-read every CPU_QUOTA_REREAD_MS', () => {
    let now = 0;
    let affinity = 2;
    let quota: number | undefined = 1;
    let quotaReads = 0;
    const cores = usableCores({ affinity: () => affinity, quota: () => (quotaReads++, quota), now: () => now });
    expect(cores()).toBe(1);
    quota = undefined;
    now += CPU_QUOTA_REREAD_MS - 1;
    expect(cores()).toBe(1);
    expect(quotaReads).toBe(1);
    now += 1;
    expect(cores()).toBe(2);
    affinity = 1;
    expect(cores()).toBe(1);
    expect(quotaReads).toBe(2);
  });
});
