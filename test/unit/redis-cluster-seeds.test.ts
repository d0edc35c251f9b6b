import { clusterSeeds, nodeOptionsFromUrl } from '../../src/store/redis/cluster-seeds.js';

describe('Redis Cluster seeds and per-node options', () => {
  test('REDIS_URL gives every cluster node its user, password and TLS, and one more seed', () => {
    expect(nodeOptionsFromUrl('rediss://app:p%40ss@redis-1.internal:7000/0')).toEqual({
      seed: { host: 'redis-1.internal', port: 7000 },
      credentials: { username: 'app', password: 'p@ss', tls: {} },
    });
    expect(nodeOptionsFromUrl('redis://[fd00::5]')).toEqual({ seed: { host: 'fd00::5', port: 6379 }, credentials: {} });
  });

  test('the URL node is added to the listed seeds unless it is one of them', () => {
    const listed = [{ host: '10.0.0.5', port: 6379 }, { host: '10.0.0.6', port: 6379 }];
    expect(clusterSeeds(listed, { host: '10.0.0.5', port: 6379 })).toEqual(listed);
    expect(clusterSeeds(listed, { host: '10.0.0.7', port: 6379 })).toEqual([...listed, { host: '10.0.0.7', port: 6379 }]);
    expect(clusterSeeds(listed, undefined)).toEqual(listed);
  });
});
