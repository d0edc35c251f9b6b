import { ConfigError, loadConfig } from '../../src/config/load.js';

describe('configuration', () => {
  test('defaults: port 3000, issuer on localhost, ./data', () => {
    expect(loadConfig({})).toMatchObject({ port: 3000, issuer: 'http://localhost:3000', dataDir: './data', trustProxy: false });
  });

  test('PORT, ISSUER and DATA_DIR change it; a trailing slash is dropped from the issuer', () => {
    expect(loadConfig({ PORT: '4000', ISSUER: 'https://id.example.com/', DATA_DIR: '/var/lib/latchkey' })).toMatchObject({
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

  test('MongoDB or Redis need an explicit shared secret', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/LATCHKEY_SECRET/);
    expect(() => loadConfig({ MONGODB_URI: 'mongodb://127.0.0.1/x' })).toThrow(/LATCHKEY_SECRET/);
  });
});
