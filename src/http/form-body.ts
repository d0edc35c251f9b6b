import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { AppError } from '../errors.js';

/**
 * Parses an HTML form body (urlencoded only, at most `limit`). A compressed body is refused
 * with 415 before parsing: browsers never compress a form, and a body that does not
 * decompress makes zlib throw errors with no HTTP status, which would end as a 500.
 */
export function formBody(limit: string): Middleware {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: limit });
  return (ctx, next) => {
    const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') throw new AppError('unsupported_media_type', 415);
    return parse(ctx, next);
  };
}
