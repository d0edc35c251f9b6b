import { z } from 'zod';

export interface HostPort {
  host: string;
  port: number;
}

/** host:port, IPv6 in brackets ([::1]:7000). */
function parseHostPort(entry: string): HostPort | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(entry);
  const port = Number(match?.[3]);
  if (!match || !(port > 0 && port < 65536)) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

/** REDIS_CLUSTER_NODES: comma-separated host:port seeds of a Redis Cluster (some of its nodes; the rest are discovered). */
export const redisClusterNodesFromEnv = z.string().transform((value, ctx) => {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const nodes: HostPort[] = [];
  for (const entry of entries) {
    const node = parseHostPort(entry);
    if (!node) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port (e.g. 10.0.0.5:6379, [::1]:7000)` });
      return z.NEVER;
    }
    nodes.push(node);
  }
  if (nodes.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'list at least one host:port' });
    return z.NEVER;
  }
  return nodes;
});
