import Router from '@koa/router';
import type { Stores } from '../store/ports.js';

/** /healthz: the process answers. /readyz: every storage backend answers (for orchestrators). */
export function healthRoutes(stores: Stores): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const backends = await stores.health();
    const ready = backends.every((b) => b.ok);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', backends };
  });
  return router;
}
