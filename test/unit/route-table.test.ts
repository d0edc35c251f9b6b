import { routeTable } from '../../src/http/methods.js';

describe('routeTable: what a path allows, as both routers match it', () => {
  const lookup = routeTable([
    { path: '/token', methods: ['POST'] },
    { path: '/interaction/:uid', methods: ['GET'] },
    { path: '/interaction/:uid/login', methods: ['POST'] },
    { path: '/device/auth', methods: ['POST'] },
    { path: '/device/:uid', methods: ['GET'], preflight: true },
    { path: '/:tenant/logo', methods: ['GET'] },
    { path: '/', methods: ['GET'] },
  ]);

  test('fixed and parameter paths, with HEAD beside GET and OPTIONS everywhere', () => {
    expect(lookup('/token')).toEqual({ allow: ['OPTIONS', 'POST'], preflight: false });
    expect(lookup('/interaction/abc')).toEqual({ allow: ['GET', 'HEAD', 'OPTIONS'], preflight: false });
    expect(lookup('/interaction/abc/login')).toEqual({ allow: ['OPTIONS', 'POST'], preflight: false });
    expect(lookup('/')).toEqual({ allow: ['GET', 'HEAD', 'OPTIONS'], preflight: false });
  });

  test('a path several routes match allows what each allows (/device/auth is also /device/:uid)', () => {
    expect(lookup('/device/auth')).toEqual({ allow: ['GET', 'HEAD', 'OPTIONS', 'POST'], preflight: true });
    expect(lookup('/device/xyz')).toEqual({ allow: ['GET', 'HEAD', 'OPTIONS'], preflight: true });
  });

  test('routes that start with a parameter match paths of their length', () => {
    expect(lookup('/acme/logo')).toEqual({ allow: ['GET', 'HEAD', 'OPTIONS'], preflight: false });
    expect(lookup('/acme/logo/x')).toBeUndefined();
  });

  test('case-insensitive, one trailing slash ignored, the same answer again from memory', () => {
    for (let i = 0; i < 2; i++) {
      expect(lookup('/TOKEN')).toEqual({ allow: ['OPTIONS', 'POST'], preflight: false });
      expect(lookup('/token/')).toEqual({ allow: ['OPTIONS', 'POST'], preflight: false });
      expect(lookup('/Interaction/ABC/')).toEqual({ allow: ['GET', 'HEAD', 'OPTIONS'], preflight: false });
    }
  });

  test('unknown paths and empty parameters match nothing', () => {
    expect(lookup('/nope')).toBeUndefined();
    expect(lookup('/token/extra')).toBeUndefined();
    expect(lookup('/interaction/')).toBeUndefined();
    expect(lookup('/interaction//login')).toBeUndefined();
    expect(lookup('//logo')).toBeUndefined();
  });
});
