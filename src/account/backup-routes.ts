import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { whereOf, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { AppError, shownOnPage } from '../errors.js';
import { countryPrefixes } from '../factors/phone/numbers.js';
import type { FactorRegistry } from '../factors/registry.js';
import { formBody } from '../http/form-body.js';
import { message } from '../messages.js';
import type { BackupMethods, PendingBackupMethod } from '../recovery/backup-methods.js';
import type { BackupNotice } from '../recovery/two-factor-reset.js';
import type { Account, BackupMethod } from '../store/ports.js';
import { createBackupSetupSeal } from './backup-setup.js';
import type { ConsoleKit } from './console.js';
import { consoleUser, recordChange } from './guard.js';

/** Where the security page (account/routes.ts) finds what this router adds to it; app.ts passes it on to the page. */

/** A few short strings; a repeated field arrives as an array and is refused. */
const formSchema = z.record(z.string().max(64), z.string().max(400));


export interface BackupRouteDeps {
  box: SecretBox;
  clock: Clock;
  registry: FactorRegistry;
  backupMethods: BackupMethods;
  /** Tells the replaced backup destination of the change. */
  backupNotice: BackupNotice;
  audit: Pick<Audit, 'record'>;
  /** The console's sessions, guards and page rendering (console.ts). */
  console: ConsoleKit;
}

/**
 * The console's backup method pages under /account/security/backup: choose a phone number
 * (text or call) or an email address, confirm it with a code, and so set or change the one
 * backup method. Every POST goes through the `change` guard (CSRF and a re-authentication
 * in the last 5 minutes; one notification to the login email); the replaced destination is
 * told as well, and both are audited.
 */
export function backupRoutes(deps: BackupRouteDeps): Router {
  const { clock, registry, backupMethods, audit } = deps;
  const { sessions, guards, render } = deps.console;
  const { signedIn, elevatedPage, change } = guards;
  const setups = createBackupSetupSeal(deps.box);
  const form = formBody('16kb');
  const router = new Router();

  /** Security rule "a backup method only backs up 2FA": without a factor there is nothing to reset. */
  const requireFactors = async (account: Account) => {
    if (!(await registry.hasEnrolled(account))) throw new AppError('backup_needs_2fa', 400);
  };
  const kindOf = (ctx: Context): 'phone' | 'email' => {
    const kind = ctx.params.kind;
    if (kind !== 'phone' && kind !== 'email') throw new AppError('not_found', 404);
    return kind;
  };
  const asMethod = (account: Account, pending: PendingBackupMethod): BackupMethod => ({ ...pending, accountId: account.id, verifiedAt: pending.startedAt });

  const beginPage = async (ctx: Context, kind: 'phone' | 'email', fields: Record<string, string> = {}, error?: { status: number; text: string }) => {
    const country = fields.country ?? 'US';
    render(
      ctx,
      'backup-begin',
      {
        title: kind === 'phone' ? 'Backup method: phone number' : 'Backup method: email address',
        kind,
        number: fields.number,
        email: fields.email,
        voice: fields.channel === 'voice',
        countries: kind === 'phone' ? (await countryPrefixes()).map((c) => ({ ...c, selected: c.code === country })) : undefined,
        error: error?.text,
      },
      error?.status,
    );
  };

  const confirmPage = (ctx: Context, pending: PendingBackupMethod, extra: { error?: { status: number; text: string }; notice?: string } = {}) => {
    render(
      ctx,
      'backup-confirm',
      {
        title: 'Backup method: enter the code',
        masked: backupMethods.describe(asMethod(consoleUser(ctx).account, pending)).replace(/^(Text message|Phone call|Email) to /, ''),
        channel: pending.channel,
        notice: extra.notice,
        error: extra.error?.text,
      },
      extra.error?.status,
    );
  };

  /** The setup in progress, or the 400 page saying it expired (nothing was set). */
  const pendingOf = (ctx: Context): PendingBackupMethod => {
    const pending = setups.open(consoleUser(ctx).session, clock.now());
    if (!pending) throw new AppError('enrolment_expired', 400);
    return pending;
  };

  // --- Choose the kind (the security page's "Backup method" section links here) ---
  router.get('/account/security/backup', signedIn, elevatedPage, async (ctx) => {
    const { account } = consoleUser(ctx);
    await requireFactors(account);
    const method = await backupMethods.get(account.id);
    render(ctx, 'backup', { title: method ? 'Change backup method' : 'Set up backup method', current: method ? backupMethods.describe(method) : undefined });
  });

  router.get('/account/security/backup/confirm', signedIn, elevatedPage, async (ctx) => {
    confirmPage(ctx, pendingOf(ctx));
  });

  router.get('/account/security/backup/:kind', signedIn, elevatedPage, async (ctx) => {
    const kind = kindOf(ctx);
    await requireFactors(consoleUser(ctx).account);
    await beginPage(ctx, kind);
  });

  // Before '/:kind', which would take 'confirm' for a kind.
  router.post('/account/security/backup/confirm', form, signedIn, change, async (ctx) => {
    const { session, account } = consoleUser(ctx);
    const parsed = formSchema.safeParse(ctx.request.body ?? {});
    const fields = parsed.success ? parsed.data : {};
    if (fields.action === 'restart') {
      await sessions.save(setups.clear(session));
      ctx.status = 303;
      ctx.redirect('/account/security/backup');
      return;
    }
    const pending = pendingOf(ctx);
    if (!parsed.success) {
      confirmPage(ctx, pending, { error: { status: 400, text: message('backup_form_invalid') } });
      return;
    }
    if (fields.action === 'resend') {
      try {
        // A + number keeps its own country prefix, whatever country is named with it.
        const again = await backupMethods.begin(account, { kind: pending.kind, channel: pending.channel ?? '', country: 'US', number: pending.destination, email: pending.destination }, ctx.ip);
        await sessions.save(setups.seal(session, again));
        confirmPage(ctx, again, { notice: 'We sent a new code. The previous one no longer works.' });
      } catch (error) {
        const shown = shownOnPage(error);
        if (!shown) throw error;
        confirmPage(ctx, pending, { error: shown });
      }
      return;
    }
    let result: { method: BackupMethod; previous: BackupMethod | null };
    try {
      result = await backupMethods.finish(account, pending, fields.code ?? '');
    } catch (error) {
      const shown = shownOnPage(error);
      if (!shown) throw error;
      confirmPage(ctx, pending, { error: shown });
      return;
    }
    await sessions.save(setups.clear(session));
    const { method, previous } = result;
    const detail = previous ? `${backupMethods.describe(method)}, replacing ${backupMethods.describe(previous)}` : backupMethods.describe(method);
    await audit.record(account.id, previous ? 'backup_method.changed' : 'backup_method.set', whereOf(ctx), detail);
    // The replaced destination hears of it too: it may be the owner's last way to notice a takeover.
    if (previous) await deps.backupNotice(account, previous, 'backup-method-changed', detail, whereOf(ctx));
    recordChange(ctx, { event: 'backup-method-changed', detail });
    ctx.status = 303;
    ctx.redirect('/account/security?done=backup');
  });

  router.post('/account/security/backup/:kind', form, signedIn, change, async (ctx) => {
    const kind = kindOf(ctx);
    const { session, account } = consoleUser(ctx);
    await requireFactors(account);
    const parsed = formSchema.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      await beginPage(ctx, kind, {}, { status: 400, text: message('backup_form_invalid') });
      return;
    }
    const fields = parsed.data;
    try {
      const pending = await backupMethods.begin(account, { ...fields, kind }, ctx.ip);
      await sessions.save(setups.seal(session, pending));
    } catch (error) {
      const shown = shownOnPage(error);
      if (!shown) throw error;
      await beginPage(ctx, kind, fields, shown);
      return;
    }
    ctx.status = 303;
    ctx.redirect('/account/security/backup/confirm');
  });

  return router;
}
