import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { ConsoleKit } from '../account/console.js';
import { consoleUser, csrfBinding } from '../account/guard.js';
import { AppError } from '../errors.js';
import type { Csrf } from '../http/csrf.js';
import { formBody } from '../http/form-body.js';
import { message, type MessageKey } from '../messages.js';
import type { JoinRequestStatus } from '../store/ports.js';
import type { Decision, Subscriptions } from './subscriptions.js';

/** What /account/subscriptions says after a form (?done=…); anything else shows nothing. */
const DONE_NOTICES: Record<string, string> = {
  requested: 'We asked the owner of the subscription to approve your request. We will email you their answer, and you can follow it here.',
  already_owner: 'You are already the owner of this subscription.',
  already_member: 'You are already a member of this subscription.',
  approved: 'You approved the request: the person is now a member of your subscription, and we told them by email.',
  declined: 'You declined the request, and we told the person by email.',
};

const STATUS_TEXT: Record<JoinRequestStatus, string> = {
  pending: 'Waiting for the owner’s answer',
  approved: 'Approved',
  declined: 'Declined',
};

const DECISIONS: Record<string, Decision> = { approve: 'approved', decline: 'declined' };

const formSchema = z.record(z.string().max(64), z.string().max(1024));

const day = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

export interface SubscriptionRouteDeps {
  csrf: Csrf;
  /** The console's sessions, sign-in state and guards (account/console.ts). */
  console: ConsoleKit;
  subscriptions: Subscriptions;
}

/**
 * The console's subscription pages under /account/subscriptions: the person's memberships
 * and requests, the "Join a subscription" form, and the page the owner's Approve and
 * Decline links open. Every page needs the console session (guard.ts's `signedIn`), every
 * POST its CSRF token; the decision also needs the owner to be the one signed in.
 */
export function subscriptionRoutes(deps: SubscriptionRouteDeps): Router {
  const { subscriptions } = deps;
  const { guards } = deps.console;
  const { signedIn } = guards;
  const form = formBody('16kb');
  const router = new Router();

  const { render } = deps.console;

  const verifiedForm = (ctx: Context): Record<string, string> => {
    deps.csrf.verify(ctx, csrfBinding(consoleUser(ctx).session));
    const parsed = formSchema.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    return parsed.data;
  };

  const listPage = async (ctx: Context, extra: { notice?: string; error?: string; identifier?: string; ownerEmail?: string; status?: number } = {}) => {
    const { account } = consoleUser(ctx);
    const mine = await subscriptions.forAccount(account.id);
    render(
      ctx,
      'subscriptions',
      {
        title: 'Subscriptions',
        notice: extra.notice,
        error: extra.error,
        identifier: extra.identifier,
        ownerEmail: extra.ownerEmail,
        memberships: mine.memberships.map(({ member, subscription }) => ({
          name: subscription.name,
          isOwner: member.role === 'owner',
          customerNumber: subscription.customerNumber,
          registrationId: subscription.registrationId,
          since: day(member.joinedAt),
        })),
        requests: mine.requests
          .slice()
          .reverse()
          .map(({ request, subscription }) => ({
            name: subscription.name,
            status: request.status,
            statusText: STATUS_TEXT[request.status],
            asked: day(request.createdAt),
            decided: request.decidedAt === null ? undefined : day(request.decidedAt),
          })),
      },
      extra.status,
    );
  };

  const decisionOf = (ctx: Context): Decision => {
    const decision = DECISIONS[ctx.params.decision!];
    if (!decision) throw new AppError('not_found', 404);
    return decision;
  };

  router.get('/account/subscriptions', signedIn, async (ctx) => {
    const done = typeof ctx.query.done === 'string' ? DONE_NOTICES[ctx.query.done] : undefined;
    await listPage(ctx, { notice: done });
  });

  router.post('/account/subscriptions/join', form, signedIn, async (ctx) => {
    const fields = verifiedForm(ctx);
    const identifier = fields.identifier ?? '';
    const ownerEmail = fields.owner_email ?? '';
    let outcome: string;
    try {
      outcome = (await subscriptions.requestToJoin(consoleUser(ctx).account, { identifier, ownerEmail })).outcome;
    } catch (error) {
      if (!(error instanceof AppError) || error.code === 'csrf_failed' || (error.status >= 500 && error.code !== 'subscription_delivery_failed')) throw error;
      await listPage(ctx, { error: message(error.code as MessageKey, error.details), identifier, ownerEmail, status: error.status });
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/account/subscriptions?done=${outcome}`);
  });

  // The owner's links: /account/subscriptions/requests/<request id>/<approve|decline>/<token>.
  // The token is in the path, so that signing in first comes back to the same link.
  router.get('/account/subscriptions/requests/:id/:decision/:token', signedIn, async (ctx) => {
    const decision = decisionOf(ctx);
    const { request, subscription, requester } = await subscriptions.review(consoleUser(ctx).account, ctx.params.id!);
    render(ctx, 'subscription-decide', {
      title: decision === 'approved' ? 'Approve the request' : 'Decline the request',
      approve: decision === 'approved',
      subscription: subscription.name,
      requesterName: requester.name,
      requesterEmail: requester.email,
      asked: day(request.createdAt),
      action: ctx.path,
    });
  });

  router.post('/account/subscriptions/requests/:id/:decision/:token', form, signedIn, async (ctx) => {
    const decision = decisionOf(ctx);
    verifiedForm(ctx);
    await subscriptions.decide(consoleUser(ctx).account, ctx.params.id!, ctx.params.token!, decision);
    ctx.status = 303;
    ctx.redirect(`/account/subscriptions?done=${decision}`);
  });

  return router;
}
