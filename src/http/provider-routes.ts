import type Provider from 'oidc-provider';
import type { RouteSpec } from './methods.js';

/**
 * The routes node-oidc-provider registers and their methods, as in its
 * lib/helpers/initialize_app.js with enableHttpPostMethods off. Its router does not expose
 * them; test/integration/methods.test.ts checks this table against the running provider.
 */
const ROUTES: ReadonlyArray<{ name: string; suffix?: string; methods: string[]; preflight?: boolean }> = [
  { name: 'authorization', methods: ['GET'] },
  { name: 'authorization', suffix: '/:uid', methods: ['GET'] },
  { name: 'userinfo', methods: ['GET', 'POST'], preflight: true },
  { name: 'token', methods: ['POST'], preflight: true },
  { name: 'jwks', methods: ['GET'], preflight: true },
  { name: 'revocation', methods: ['POST'], preflight: true },
  { name: 'introspection', methods: ['POST'], preflight: true },
  { name: 'pushed_authorization_request', methods: ['POST'], preflight: true },
  { name: 'registration', methods: ['POST'] },
  { name: 'end_session', methods: ['GET'] },
  { name: 'end_session_confirm', methods: ['POST'] },
  { name: 'end_session_success', methods: ['GET'] },
  { name: 'device_authorization', methods: ['POST'], preflight: true },
  { name: 'code_verification', methods: ['GET', 'POST'] },
  { name: 'code_verification', suffix: '/:uid', methods: ['GET'] },
];

/** Registered under fixed paths, whatever `routes` says. */
const DISCOVERY: RouteSpec[] = [
  { path: '/.well-known/openid-configuration', methods: ['GET'], preflight: true },
  { path: '/.well-known/oauth-authorization-server', methods: ['GET'], preflight: true },
];

/** The provider's routes that are enabled, at the paths its configuration gives them. */
export function providerRoutes(provider: Provider): RouteSpec[] {
  const specs = [...DISCOVERY];
  for (const { name, suffix = '', methods, preflight } of ROUTES) {
    let path: string;
    try {
      path = provider.pathFor(name, { mountPath: '' });
    } catch {
      continue; // the feature is off, so the route does not exist
    }
    specs.push({ path: path + suffix, methods, preflight });
  }
  return specs;
}
