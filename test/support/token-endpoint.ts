import request from 'supertest';
import type { ClientMetadata } from '../../src/store/ports.js';
import type { TestApp } from './app.js';

export interface EndpointAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One raw POST to a token-family endpoint (/token, /token/introspection,
 * /token/revocation) as `client`: HTTP Basic with its secret, or client_id in the body for
 * a public client. Raw, so that tests can fire many at once and see every answer.
 */
export async function postAs(app: TestApp, client: ClientMetadata, path: string, params: Record<string, string>): Promise<EndpointAnswer> {
  const secret = client.client_secret as string | undefined;
  let req = request(app.url).post(path).type('form').set('Accept', 'application/json');
  if (secret) req = req.auth(encodeURIComponent(client.client_id), encodeURIComponent(secret));
  const res = await req.send(secret ? params : { ...params, client_id: client.client_id });
  return { status: res.status, body: (res.body ?? {}) as Record<string, unknown> };
}

/**
 * A client-credentials request as `client` (HTTP Basic, `secret` defaulting to its own), as
 * supertest's whole response: for tests that look at headers or at a refusal's details.
 */
export const clientCredentials = (app: TestApp, client: ClientMetadata, secret = client.client_secret as string) =>
  request(app.url)
    .post('/token')
    .auth(encodeURIComponent(client.client_id), encodeURIComponent(secret))
    .type('form')
    .send({ grant_type: 'client_credentials' });

/** `count` copies of one request, all sent before any answer is awaited. */
export function inParallel(count: number, send: () => Promise<EndpointAnswer>): Promise<EndpointAnswer[]> {
  return Promise.all(Array.from({ length: count }, send));
}

export const introspect = async (app: TestApp, client: ClientMetadata, token: string, hint?: string) =>
  (await postAs(app, client, '/token/introspection', { token, ...(hint ? { token_type_hint: hint } : {}) })).body;
