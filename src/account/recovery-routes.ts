import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { whereOf, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { AppError } from '../errors.js';
import type { RecoverySecrets } from '../factors/recovery/recovery-codes.js';
import type { FactorRegistry } from '../factors/registry.js';
import type { Csrf } from '../http/csrf.js';
import { formBody } from '../http/form-body.js';
import { recoveryCodesView, sendRecoveryFile } from '../interaction/recovery-page.js';
import { message } from '../messages.js';
import type { Account } from '../store/ports.js';
import type { ConsoleKit } from './console.js';
import type { ConsoleSession } from './console-session.js';
import { consoleUser, csrfBinding, recordChange } from './guard.js';

/** The recovery key and backup codes just made, sealed into the console session until they are acknowledged. */
export interface ConsoleRecoverySets {
  /** Makes and stores a new set (the old one dies at once) and keeps it sealed in the session to be shown. */
  issue(ctx: Context, session: ConsoleSession, account: Account, detail: string): Promise<ConsoleSession>;
  /** The set the session shows, or undefined. */
  open(session: ConsoleSession): RecoverySecrets | undefined;
}

/** Sealed for this session id (security rule "secrets never sit in clear in a session"): copied elsewhere it does not open. */
export function createConsoleRecoverySets(deps: { box: SecretBox; registry: FactorRegistry; clock: Clock; audit: Pick<Audit, 'record'> }): ConsoleRecoverySets {
  const purpose = (session: ConsoleSession) => `account.recovery-codes:${session.id}`;
  return {
    async issue(ctx, session, account, detail) {
      const recovery = deps.registry.recovery()!;
      const secrets = recovery.generate();
      await recovery.install(account.id, secrets, deps.clock.now());
      await deps.audit.record(account.id, 'recovery_codes.issued', whereOf(ctx), detail);
      return { ...session, recoveryCodes: deps.box.seal(JSON.stringify(secrets), purpose(session)) };
    },
    open(session) {
      if (!session.recoveryCodes) return undefined;
      try {
        const parsed = JSON.parse(deps.box.open(session.recoveryCodes, purpose(session))) as RecoverySecrets;
        return typeof parsed.recoveryKey === 'string' && Array.isArray(parsed.codes) ? parsed : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

const formSchema = z.record(z.string().max(64), z.string().max(64));

/**
 * The console's recovery key and backup codes: the new set shown once (after the first
 * factor, or after "Regenerate recovery key and backup codes", which needs a
 * re-authentication and kills the old set at once), Download, and "I have saved them".
 */
export function recoveryCodeRoutes(deps: {
  box: SecretBox;
  registry: FactorRegistry;
  clock: Clock;
  audit: Pick<Audit, 'record'>;
  csrf: Csrf;
  issuer: string;
  console: ConsoleKit;
}): Router {
  const { registry } = deps;
  const { sessions, guards, render } = deps.console;
  const { signedIn, elevatedPage, change } = guards;
  const sets = createConsoleRecoverySets(deps);
  const form = formBody('16kb');
  const router = new Router();
  const input = (ctx: Context) => {
    const parsed = formSchema.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    return parsed.data;
  };
  const show = (ctx: Context, secrets: RecoverySecrets, error?: string) =>
    render(
      ctx,
      'recovery-codes',
      { title: 'Save your recovery key and backup codes', ...recoveryCodesView(secrets), action: '/account/security/recovery-codes', finish: 'Done', error },
      error ? 400 : 200,
    );
  const backToSecurity = (ctx: Context) => {
    ctx.status = 303;
    ctx.redirect('/account/security');
  };

  router.get('/account/security/recovery-codes', signedIn, async (ctx) => {
    const secrets = sets.open(consoleUser(ctx).session);
    if (!secrets) return backToSecurity(ctx);
    show(ctx, secrets);
  });

  /** Download (a text file answered to this POST) or "I have saved them" (forgets them). Changes nothing: CSRF only. */
  router.post('/account/security/recovery-codes', form, signedIn, async (ctx) => {
    const { session, account } = consoleUser(ctx);
    deps.csrf.verify(ctx, csrfBinding(session));
    const fields = input(ctx);
    const secrets = sets.open(session);
    if (!secrets) return backToSecurity(ctx);
    if (fields.action === 'download') {
      sendRecoveryFile(ctx, registry.recovery()!.textFile(secrets, deps.issuer, account.email));
      return;
    }
    if (fields.saved !== 'yes') return show(ctx, secrets, message('recovery_not_saved'));
    const { recoveryCodes: _dropped, ...rest } = session;
    await sessions.save(rest);
    ctx.status = 303;
    ctx.redirect('/account/security?done=recovery');
  });

  /** "Regenerate recovery key and backup codes": a re-authentication first; the old set dies at once. */
  router.get('/account/security/recovery-codes/new', signedIn, elevatedPage, async (ctx) => {
    if (!registry.recovery() || !(await registry.hasEnrolled(consoleUser(ctx).account))) throw new AppError('not_found', 404);
    render(ctx, 'recovery-new', { title: 'Make a new recovery key and backup codes' });
  });

  router.post('/account/security/recovery-codes/new', form, signedIn, change, async (ctx) => {
    const { session, account } = consoleUser(ctx);
    input(ctx);
    if (!registry.recovery() || !(await registry.hasEnrolled(account))) throw new AppError('not_found', 404);
    await sessions.save(await sets.issue(ctx, session, account, 'regenerated; the old ones no longer work'));
    recordChange(ctx, { event: 'recovery-codes-renewed' });
    ctx.status = 303;
    ctx.redirect('/account/security/recovery-codes');
  });

  return router;
}
