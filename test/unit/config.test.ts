import { ConfigError, loadConfig } from '../../src/config/load.js';

describe('configuration', () => {
  test('defaults: port 3000, issuer on localhost, ./data', () => {
    expect(loadConfig({})).toMatchObject({ port: 3000, issuer: 'http://localhost:3000', dataDir: './data', trustProxy: { kind: 'none' } });
  });

  test('PORT, ISSUER and DATA_DIR change it; a trailing slash is dropped from the issuer', () => {
    expect(loadConfig({ PORT: '4000', ISSUER: 'https://id.example.com/', TRUST_PROXY: '1', DATA_DIR: '/var/lib/latchkey' })).toMatchObject({
      port: 4000,
      issuer: 'https://id.example.com',
      dataDir: '/var/lib/latchkey',
    });
  });

  test('bad values are reported by name', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ LATCHKEY_SECRET: 'short' })).toThrow(/LATCHKEY_SECRET/);
    expect(() => loadConfig({ ISSUER: 'not a url' })).toThrow(/ISSUER/);
  });

  test('TRUST_PROXY: hops (true/false as 1/0), or proxy addresses and subnets', () => {
    const trust = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;
    expect(trust('false')).toEqual({ kind: 'none' });
    expect(trust('no')).toEqual({ kind: 'none' });
    expect(trust('0')).toEqual({ kind: 'none' });
    expect(trust('true')).toEqual({ kind: 'hops', hops: 1 });
    expect(trust('yes')).toEqual({ kind: 'hops', hops: 1 });
    expect(trust('1')).toEqual({ kind: 'hops', hops: 1 });
    expect(trust('2')).toEqual({ kind: 'hops', hops: 2 });
    expect(trust('10.0.0.1, ::FFFF:10.0.0.2,fd00::1')).toEqual({ kind: 'addresses', addresses: ['10.0.0.1', '10.0.0.2', 'fd00::1'] });
    expect(trust('10.0.0.0/8,fd00::/8')).toEqual({ kind: 'addresses', addresses: ['10.0.0.0/8', 'fd00::/8'] });
  });

  test('REDIS_CLUSTER_NODES: host:port seeds of a Redis Cluster (needs LATCHKEY_SECRET like REDIS_URL)', () => {
    const secret = { LATCHKEY_SECRET: 'x'.repeat(32) };
    expect(loadConfig({ ...secret, REDIS_CLUSTER_NODES: '10.0.0.5:6379, redis-2.internal:7000,[fd00::7]:7001' })).toMatchObject({
      redis: true,
      redisUrl: undefined,
      redisClusterNodes: [
        { host: '10.0.0.5', port: 6379 },
        { host: 'redis-2.internal', port: 7000 },
        { host: 'fd00::7', port: 7001 },
      ],
    });
    expect(loadConfig({})).toMatchObject({ redis: false, redisClusterNodes: undefined });
    for (const bad of ['10.0.0.5', 'redis://10.0.0.5:6379', '10.0.0.5:0', '10.0.0.5:70000', ',']) {
      expect(() => loadConfig({ ...secret, REDIS_CLUSTER_NODES: bad })).toThrow(/REDIS_CLUSTER_NODES/);
    }
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.5:6379' })).toThrow(/LATCHKEY_SECRET/);
  });

  test('a TRUST_PROXY that is neither is reported by name', () => {
    for (const bad of ['maybe', '10.0.0.1, proxy.internal', '10.0.0.0/33', '-1', '1.5', '21', ',']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });

  test('MongoDB or Redis need an explicit shared secret', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/LATCHKEY_SECRET/);
    expect(() => loadConfig({ MONGODB_URI: 'mongodb://127.0.0.1/x' })).toThrow(/LATCHKEY_SECRET/);
  });
});
