import type { RedisOptions } from 'ioredis';

export interface ClusterSeed {
  host: string;
  port: number;
}

/**
 * What a REDIS_URL says that applies to every node of a cluster (user, password, TLS), and
 * the node it names, which can seed the cluster. A database number cannot apply: a cluster
 * has only database 0.
 */
export function nodeOptionsFromUrl(url: string): { seed: ClusterSeed; credentials: Partial<RedisOptions> } {
  const parsed = new URL(url);
  const credentials: Partial<RedisOptions> = {};
  if (parsed.username) credentials.username = decodeURIComponent(parsed.username);
  if (parsed.password) credentials.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') credentials.tls = {};
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { seed: { host, port: Number(parsed.port || 6379) }, credentials };
}

/** The listed nodes, then the REDIS_URL node when it is not among them. */
export function clusterSeeds(nodes: ClusterSeed[], urlSeed: ClusterSeed | undefined): ClusterSeed[] {
  const seeds = [...nodes];
  if (urlSeed && !seeds.some((s) => s.host === urlSeed.host && s.port === urlSeed.port)) seeds.push(urlSeed);
  return seeds;
}
