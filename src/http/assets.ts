import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';

/** The stylesheet and the icon, served from our origin so that the CSP needs nothing inline. */
export function assetRoutes(viewsDir: string): Router {
  const css = readFileSync(join(viewsDir, 'assets', 'latchkey.css'));
  const icon = readFileSync(join(viewsDir, 'assets', 'favicon.svg'));
  const router = new Router();
  router.get('/assets/latchkey.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  // Browsers ask for /favicon.ico whatever the page links; the same SVG answers there.
  router.get(['/favicon.svg', '/favicon.ico'], (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = icon;
  });
  return router;
}
