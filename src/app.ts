import Koa, { type Middleware } from 'koa';
import mount from 'koa-mount';
import { VIEWS_DIR, type Container } from './container.js';
import { assetRoutes } from './http/assets.js';
import { edge } from './http/edge.js';
import { healthRoutes } from './http/health.js';
import { routeTable, routesOf } from './http/methods.js';
import { answerAsIssuer } from './http/origin.js';
import { answerWithClientIp } from './http/client-ip.js';
import { providerRoutes } from './http/provider-routes.js';
import { interactionRoutes } from './interaction/routes.js';
import { passwordRoutes } from './interaction/password-routes.js';
import { createConsoleKit } from './account/console.js';
import { activityRoutes } from './account/activity-routes.js';
import { accountRoutes } from './account/routes.js';
import { backupRoutes } from './account/backup-routes.js';
import { consoleSignInRoutes } from './account/sign-in-routes.js';
import { subscriptionRoutes } from './orgs/routes.js';
import { resetLinkRoutes } from './recovery/reset-routes.js';
import { recoveryCodeRoutes } from './account/recovery-routes.js';

/** The middleware in order as one, each one's next() running the following one (what app.use does). */
function chain(middleware: Middleware[]): Middleware {
  return (ctx, next) => {
    const step = (i: number): Promise<unknown> => Promise.resolve(i < middleware.length ? middleware[i]!(ctx, () => step(i + 1)) : next());
    return step(0);
  };
}

/** Builds the HTTP application from a container: middleware order, routers, then the provider. No I/O. */
export function buildApp(c: Container): Koa {
  const app = new Koa();
  // Koa never reads X-Forwarded-* itself (it would take the client-chosen leftmost
  // X-Forwarded-For entry): answerWithClientIp gives ctx.ip, answerAsIssuer the protocol and host.
  app.proxy = false;
  answerAsIssuer(app.request, c.config.issuer);
  answerWithClientIp(app.request, c.config.trustProxy);
  // The provider runs inside our request contexts (koa-mount), so its signed cookies use our keys.
  app.keys = c.provider.keys;
  app.silent = true;

  const consoleKit = createConsoleKit({
    provider: c.provider,
    views: c.views,
    csrf: c.csrf,
    box: c.box,
    clock: c.clock,
    logger: c.logger,
    issuer: c.config.issuer,
    accounts: c.stores.accounts,
    artifacts: c.stores.oidc,
    registry: c.factorRegistry,
    notifier: c.notifier,
  });
  const routers = [
    healthRoutes(c.stores),
    assetRoutes(VIEWS_DIR),
    interactionRoutes({
      provider: c.provider,
      views: c.views,
      csrf: c.csrf,
      consents: c.stores.consents,
      signIn: c.signInFlow,
    }),
    passwordRoutes({ views: c.views, csrf: c.csrf, reset: c.passwordReset }),
    resetLinkRoutes({ views: c.views, reset: c.twoFactorReset, cookie: c.resetLink, login: consoleKit.login }),
    backupRoutes({
      box: c.box,
      clock: c.clock,
      registry: c.factorRegistry,
      backupMethods: c.backupMethods,
      backupNotice: c.backupNotice,
      audit: c.audit,
      console: consoleKit,
    }),
    consoleSignInRoutes({
      provider: c.provider,
      csrf: c.csrf,
      clock: c.clock,
      logger: c.logger,
      issuer: c.config.issuer,
      accounts: c.stores.accounts,
      registry: c.factorRegistry,
      console: consoleKit,
    }),
    accountRoutes({
      box: c.box,
      clock: c.clock,
      accounts: c.stores.accounts,
      factors: c.stores.factors,
      registry: c.factorRegistry,
      audit: c.audit,
      backupMethods: c.backupMethods,
      console: consoleKit,
    }),
    recoveryCodeRoutes({ box: c.box, registry: c.factorRegistry, clock: c.clock, audit: c.audit, csrf: c.csrf, issuer: c.config.issuer, console: consoleKit }),
    activityRoutes({ audit: c.audit, console: consoleKit }),
    subscriptionRoutes({ csrf: c.csrf, console: consoleKit, subscriptions: c.subscriptions }),
  ];
  const ownRoutes = [{ path: '/', methods: ['GET'] }, ...routers.flatMap(routesOf)];
  const protocolRoutes = providerRoutes(c.provider);

  const own = chain([
    ...routers.map((router) => router.routes() as Middleware),
    async (ctx, next) => {
      if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
      ctx.type = 'html';
      ctx.body = c.views.render('home', { title: 'Latchkey', issuer: c.config.issuer });
    },
  ]);
  const provider = mount(c.provider);
  // A protocol endpoint (token, userinfo, introspection, …) that none of our routers claims
  // goes straight to the provider instead of through every router's path matching: the
  // same handler as the fall-through below, for a good share of the token endpoint's cost.
  const isOwn = routeTable(ownRoutes);
  const isProtocol = routeTable(protocolRoutes);
  const route: Middleware = (ctx, next) => (isProtocol(ctx.path) && !isOwn(ctx.path) ? provider(ctx, next) : own(ctx, () => provider(ctx, next)));
  app.use(
    edge(
      {
        issuer: c.config.issuer,
        trustProxy: c.config.trustProxy,
        views: c.views,
        logger: c.logger,
        counters: c.stores.counters,
        clock: c.clock,
        pageRateLimit: c.config.pageRateLimit,
        routes: [...ownRoutes, ...protocolRoutes],
        // The provider's CORS endpoints (token, introspection, revocation, userinfo, JWKS,
        // discovery, device authorization, PAR) are the ones that only ever answer JSON.
        apiPaths: new Set(protocolRoutes.filter((r) => r.preflight).map((r) => r.path)),
      },
      route,
    ),
  );
  return app;
}
