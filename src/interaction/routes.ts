import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { z } from 'zod';
import type { PasswordSignIn } from '../accounts/password-sign-in.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Csrf } from '../http/csrf.js';
import { formBody } from '../http/form-body.js';
import type { DeviceCookie } from '../http/device-cookie.js';
import type { Views } from '../http/views.js';
import { message } from '../messages.js';
import type { ConsentStore } from '../store/ports.js';
import { initialState, transition } from './machine.js';

const loginForm = z.object({
  email: z.string().max(320).default(''),
  password: z.string().max(1024).default(''),
});

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (your Latchkey account identifier)',
  profile: 'See your name',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay connected when you are not using it',
};

/** The hosted sign-in pages node-oidc-provider sends the browser to (interactions.url). */
export function interactionRoutes(deps: {
  provider: Provider;
  views: Views;
  csrf: Csrf;
  signIn: PasswordSignIn;
  deviceCookie: DeviceCookie;
  consents: ConsentStore;
  clock: Clock;
}): Router {
  const { provider, views, csrf, signIn, deviceCookie, consents, clock } = deps;
  const router = new Router({ prefix: '/interaction' });
  const form = formBody('16kb');

  const details = (ctx: Context) => provider.interactionDetails(ctx.req, ctx.res);
  const finish = async (ctx: Context, result: InteractionResults, merge = true) => {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };

  const clientName = async (clientId: unknown) => {
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client?.clientName ?? client?.clientId ?? 'the application';
  };

  const renderLogin = async (ctx: Context, uid: string, clientId: unknown, extra: { email?: string; error?: string }) => {
    ctx.type = 'html';
    ctx.body = views.render('login', {
      title: 'Sign in',
      uid,
      csrf: csrf.token(ctx, uid),
      clientName: await clientName(clientId),
      ...extra,
    });
  };

  router.get('/:uid', async (ctx) => {
    const interaction = await details(ctx);
    if (interaction.uid !== ctx.params.uid) throw new AppError('interaction_expired', 400);
    const { prompt, params } = interaction;
    if (prompt.name === 'login') {
      const hint = typeof params.login_hint === 'string' ? params.login_hint : undefined;
      await renderLogin(ctx, interaction.uid, params.client_id, { email: hint });
      return;
    }
    if (prompt.name === 'consent') {
      const missing = (prompt.details.missingOIDCScope as string[] | undefined) ?? [];
      ctx.type = 'html';
      ctx.body = views.render('consent', {
        title: 'Allow access',
        uid: interaction.uid,
        csrf: csrf.token(ctx, interaction.uid),
        clientName: await clientName(params.client_id),
        scopes: missing.map((scope) => SCOPE_TEXT[scope] ?? scope),
      });
      return;
    }
    throw new AppError('interaction_expired', 400);
  });

  router.post('/:uid/login', form, async (ctx) => {
    csrf.verify(ctx, ctx.params.uid);
    const interaction = await details(ctx);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'login') {
      throw new AppError('interaction_expired', 400);
    }
    const parsed = loginForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    const { email, password } = parsed.data;

    const result = await signIn.verify({ email, password, clientIp: ctx.ip, deviceId: deviceCookie.deviceFor(ctx, email) });
    if (!result.ok) {
      const error =
        result.reason === 'throttled'
          ? message('throttled', { minutes: String(Math.max(1, Math.ceil((result.retryAt - clock.now()) / 60_000))) })
          : message('invalid_credentials');
      ctx.status = result.reason === 'throttled' ? 429 : 401;
      await renderLogin(ctx, interaction.uid, interaction.params.client_id, { email, error });
      return;
    }

    deviceCookie.remember(ctx, email);
    const state = transition(initialState(), { type: 'password_verified', accountId: result.account.id });
    if (state.step !== 'done') throw new AppError('server_error', 500);
    await finish(ctx, { login: { accountId: state.accountId, amr: state.amr, acr: state.acr } }, false);
  });

  router.post('/:uid/confirm', form, async (ctx) => {
    csrf.verify(ctx, ctx.params.uid);
    const interaction = await details(ctx);
    const accountId = interaction.session?.accountId;
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'consent' || !accountId) {
      throw new AppError('interaction_expired', 400);
    }
    const clientId = String(interaction.params.client_id);
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId });
    if (!grant) throw new AppError('interaction_expired', 400);
    const missingScopes = (interaction.prompt.details.missingOIDCScope as string[] | undefined) ?? [];
    const missingClaims = (interaction.prompt.details.missingOIDCClaims as string[] | undefined) ?? [];
    if (missingScopes.length) grant.addOIDCScope(missingScopes.join(' '));
    if (missingClaims.length) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    await consents.grant(accountId, clientId, missingScopes);
    await finish(ctx, { consent: { grantId } });
  });

  router.post('/:uid/abort', form, async (ctx) => {
    csrf.verify(ctx, ctx.params.uid);
    const interaction = await details(ctx);
    if (interaction.uid !== ctx.params.uid) throw new AppError('interaction_expired', 400);
    await finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' }, false);
  });

  return router;
}
