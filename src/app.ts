import Koa from 'koa';
import mount from 'koa-mount';
import { VIEWS_DIR, type Container } from './container.js';
import { assetRoutes } from './http/assets.js';
import { errorHandler } from './http/error-handler.js';
import { healthRoutes } from './http/health.js';
import { securityHeaders } from './http/security-headers.js';
import { interactionRoutes } from './interaction/routes.js';

/** Builds the HTTP application from a container: middleware order, routers, then the provider. No I/O. */
export function buildApp(c: Container): Koa {
  const app = new Koa();
  app.proxy = c.config.trustProxy;
  // The provider runs inside our request contexts (koa-mount), so its signed cookies use our keys.
  app.keys = c.provider.keys;
  app.silent = true;

  app.use(securityHeaders({ https: c.config.issuer.startsWith('https:') }));
  app.use(errorHandler(c.views, c.logger));

  const routers = [
    healthRoutes(c.stores),
    assetRoutes(VIEWS_DIR),
    interactionRoutes({
      provider: c.provider,
      views: c.views,
      csrf: c.csrf,
      signIn: c.signIn,
      consents: c.stores.consents,
      clock: c.clock,
    }),
  ];
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());

  app.use(async (ctx, next) => {
    if (ctx.path !== '/' || ctx.method !== 'GET') return next();
    ctx.type = 'html';
    ctx.body = c.views.render('home', { title: 'Latchkey', issuer: c.config.issuer });
  });
  app.use(mount(c.provider));
  return app;
}
