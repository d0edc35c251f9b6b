import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { AppError } from '../errors.js';
import type { Csrf } from '../http/csrf.js';
import { formBody } from '../http/form-body.js';
import type { Views } from '../http/views.js';
import type { ConsentStore } from '../store/ports.js';
import { ACTION_STEPS, type SignInDispatcher } from './dispatcher.js';

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (your Latchkey account identifier)',
  profile: 'See your name',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay connected when you are not using it',
};

/**
 * The hosted pages node-oidc-provider sends the browser to (interactions.url). The login
 * and create prompts belong to the sign-in dispatcher (GET renders the current step, POST /:action
 * handles it); routes hold no flow logic.
 */
export function interactionRoutes(deps: {
  provider: Provider;
  views: Views;
  csrf: Csrf;
  consents: ConsentStore;
  signIn: SignInDispatcher;
}): Router {
  const { provider, views, csrf, consents, signIn } = deps;
  const router = new Router({ prefix: '/interaction' });
  const form = formBody('16kb');

  const details = async (ctx: Context) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) throw new AppError('interaction_expired', 400);
    return interaction;
  };
  const finish = async (ctx: Context, result: InteractionResults, merge = true) => {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
  const clientName = async (clientId: unknown) => {
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client?.clientName ?? client?.clientId ?? 'the application';
  };

  router.get('/:uid', async (ctx) => {
    const interaction = await details(ctx);
    const { prompt, params } = interaction;
    // prompt=create is the same flow, started at "Create account".
    if (prompt.name === 'login' || prompt.name === 'create') {
      await signIn.show(ctx, interaction);
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

  router.post('/:uid/confirm', form, async (ctx) => {
    csrf.verify(ctx, ctx.params.uid);
    const interaction = await details(ctx);
    const accountId = interaction.session?.accountId;
    if (interaction.prompt.name !== 'consent' || !accountId) throw new AppError('interaction_expired', 400);
    const clientId = String(interaction.params.client_id);
    const grant = interaction.grantId ? await provider.Grant.find(interaction.grantId) : new provider.Grant({ accountId, clientId });
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
    await details(ctx);
    await finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' }, false);
  });

  router.post('/:uid/:action', form, async (ctx) => {
    const action = ctx.params.action!;
    if (!Object.hasOwn(ACTION_STEPS, action)) throw new AppError('not_found', 404);
    csrf.verify(ctx, ctx.params.uid!);
    const interaction = await details(ctx);
    if (interaction.prompt.name !== 'login' && interaction.prompt.name !== 'create') throw new AppError('interaction_expired', 400);
    await signIn.handle(ctx, interaction, action as keyof typeof ACTION_STEPS);
  });

  return router;
}
