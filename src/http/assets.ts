import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Router from '@koa/router';

/** @simplewebauthn/browser's UMD bundle (global SimpleWebAuthnBrowser); the package exports no path to it, so it is found beside its entry point. */
function simpleWebAuthnBundle(): Buffer {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'));
}

/** The stylesheet, the icon and the WebAuthn scripts, served from our origin so that the CSP needs nothing inline. */
export function assetRoutes(viewsDir: string): Router {
  const css = readFileSync(join(viewsDir, 'assets', 'latchkey.css'));
  const icon = readFileSync(join(viewsDir, 'assets', 'favicon.svg'));
  const scripts = { '/assets/webauthn.js': readFileSync(join(viewsDir, 'assets', 'webauthn.js')), '/assets/simplewebauthn-browser.js': simpleWebAuthnBundle() };
  const router = new Router();
  router.get('/assets/latchkey.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  router.get(Object.keys(scripts), (ctx) => {
    ctx.type = 'text/javascript';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = scripts[ctx.path as keyof typeof scripts];
  });
  // Browsers ask for /favicon.ico whatever the page links; the same SVG answers there.
  router.get(['/favicon.svg', '/favicon.ico'], (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = icon;
  });
  return router;
}
