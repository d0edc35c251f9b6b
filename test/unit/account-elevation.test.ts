import { ELEVATION_MS, elevatedUntil, isElevated, reauthAcr } from '../../src/account/elevation.js';
import { safeReturnPath } from '../../src/account/login-state.js';

const NOW = 1_800_000_000_000;
const T = 1_800_000_000; // the code's iat, epoch seconds
const auth = (ageS: number, acr: string | undefined) => ({ authTime: T - ageS, codeIssuedAt: T, acr });

describe('console elevation (re-authentication for changes)', () => {
  test('an authentication at most a minute before its code elevates for 5 minutes', () => {
    expect(elevatedUntil(auth(0, 'urn:latchkey:acr:1fa'), false, NOW)).toBe(NOW + ELEVATION_MS);
    expect(elevatedUntil(auth(60, 'urn:latchkey:acr:1fa'), false, NOW)).toBe(NOW + 5 * 60_000);
    expect(elevatedUntil(auth(61, 'urn:latchkey:acr:1fa'), false, NOW)).toBe(0);
    // auth_time after the code was issued cannot happen; a forged one is not "fresh".
    expect(elevatedUntil(auth(-1, 'urn:latchkey:acr:1fa'), false, NOW)).toBe(0);
  });

  test('with a second factor on the account, only two factors (or phishing-resistant) elevate', () => {
    expect(elevatedUntil(auth(0, 'urn:latchkey:acr:1fa'), true, NOW)).toBe(0);
    expect(elevatedUntil(auth(0, 'urn:latchkey:acr:2fa'), true, NOW)).toBe(NOW + ELEVATION_MS);
    expect(elevatedUntil(auth(0, 'phr'), true, NOW)).toBe(NOW + ELEVATION_MS);
  });

  test('a missing or unknown acr never elevates', () => {
    expect(elevatedUntil(auth(0, undefined), false, NOW)).toBe(0);
    expect(elevatedUntil(auth(0, 'urn:example:gold'), false, NOW)).toBe(0);
  });

  test('the re-authentication asks for 2fa exactly when the account has a factor', () => {
    expect(reauthAcr(true)).toBe('urn:latchkey:acr:2fa');
    expect(reauthAcr(false)).toBeUndefined();
  });

  test('elevation ends at its deadline', () => {
    expect(isElevated(NOW + 1, NOW)).toBe(true);
    expect(isElevated(NOW, NOW)).toBe(false);
    expect(isElevated(0, NOW)).toBe(false);
  });

  test('the callback returns only to console paths', () => {
    for (const ok of ['/account', '/account/security', '/account/security/factors/0b7c-Ab_9/remove']) expect(safeReturnPath(ok)).toBe(ok);
    for (const bad of ['https://evil.example', '//evil.example', '/account/../x', '/account?x', '/accounts', '/account/', `/account/${'a'.repeat(300)}`, 42, undefined]) {
      expect(safeReturnPath(bad)).toBe('/account');
    }
  });
});
