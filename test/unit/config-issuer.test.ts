import { ConfigError, loadConfig } from '../../src/config/load.js';

describe('the issuer setting', () => {
  test('an https issuer without a trusted proxy refuses to start, saying what to set', () => {
    expect(() => loadConfig({ ISSUER: 'https://id.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ ISSUER: 'https://id.example.com' })).toThrow(/TRUST_PROXY.*TLS-terminating proxy.*TRUST_PROXY=1/s);
    expect(loadConfig({ ISSUER: 'https://id.example.com', TRUST_PROXY: '1' }).issuer).toBe('https://id.example.com');
  });

  test('an http issuer needs no proxy', () => {
    expect(loadConfig({ ISSUER: 'http://localhost:8080' }).issuer).toBe('http://localhost:8080');
  });

  test.each(['https://id.example.com/idp', 'http://id.example.com/?x=1', 'http://id.example.com#top', 'ftp://id.example.com'])(
    '%s is refused: the provider serves from the origin root',
    (issuer) => {
      expect(() => loadConfig({ ISSUER: issuer, TRUST_PROXY: '1' })).toThrow(/ISSUER/);
    },
  );
});
