import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';

/** The stylesheet, served from our origin so that the CSP needs no inline styles. */
export function assetRoutes(viewsDir: string): Router {
  const css = readFileSync(join(viewsDir, 'assets', 'latchkey.css'));
  const router = new Router();
  router.get('/assets/latchkey.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  return router;
}
