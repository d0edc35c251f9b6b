import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { whereOf, type Audit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { AppError, shownOnPage } from '../errors.js';
import type { FactorEnv, FactorModule, FormInput } from '../factors/factor.js';
import { countryPrefixes } from '../factors/phone/numbers.js';
import type { FactorRegistry } from '../factors/registry.js';
import { formBody } from '../http/form-body.js';
import { message } from '../messages.js';
import type { Account, AccountStore, Factor, FactorKind, FactorStore } from '../store/ports.js';
import type { ConsoleKit } from './console.js';
import { createEnrolmentSeal, enrolmentExpired, type Enrolment } from './enrolment.js';
import { LOW_CODES } from '../factors/recovery/recovery-codes.js';
import { createConsoleRecoverySets } from './recovery-routes.js';
import type { BackupMethods } from '../recovery/backup-methods.js';
import { consoleUser, recordChange } from './guard.js';

/** Kinds the console has pages for, in the registry's order. */
const CONSOLE_KINDS: readonly FactorKind[] = ['totp', 'webauthn', 'phone', 'email'];

const KIND_HINTS: Record<FactorKind, string> = {
  totp: 'A code from an app such as Google Authenticator or 1Password',
  webauthn: 'A security key, or your device’s fingerprint, face or PIN',
  phone: 'A code by text message or phone call',
  email: 'A code by email',
};

/** What /account/security says after a change (?done=…); anything else shows nothing. */
const DONE_NOTICES: Record<string, string> = {
  added: 'The sign-in method was added.',
  changed: 'Your phone number was changed.',
  renamed: 'The sign-in method was renamed.',
  removed: 'The sign-in method was removed.',
  recovery: 'Your new recovery key and backup codes are active; the old ones no longer work.',
  replaced: 'The sign-in method was set up again; the old one no longer works.',
  backup: "You've successfully set up your backup method.",
};

/** Every console form: a few strings, a WebAuthn response the longest (a repeated field arrives as an array and is refused). */
const formSchema = z.record(z.string().max(64), z.string().max(8192));
/** A name people give a method: visible text only (no control or bidi-override characters, which could disguise it in lists and emails). */
const labelSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}\p{Cf}]*$/u);

export interface AccountRouteDeps {
  box: SecretBox;
  clock: Clock;
  accounts: AccountStore;
  factors: FactorStore;
  registry: FactorRegistry;
  /** The backup method's section of the security page (its own pages are account/backup-routes.ts). */
  backupMethods: Pick<BackupMethods, 'get' | 'describe'>;
  /** Every change made here goes to the account's audit log. */
  audit: Pick<Audit, 'record'>;
  /** The console's sessions, sign-in state and guards (console.ts), shared with orgs/routes.ts. */
  console: ConsoleKit;
}

/**
 * The account console's pages at /account: the profile and "Protect your account", where the
 * person adds, renames, removes and replaces second factors (signing in to the console is
 * sign-in-routes.ts). Every change goes through the guard (guard.ts).
 */
export function accountRoutes(deps: AccountRouteDeps): Router {
  const { clock, accounts, factors, registry, audit } = deps;
  const { sessions } = deps.console;
  const { signedIn, elevatedPage, change } = deps.console.guards;
  const enrolments = createEnrolmentSeal(deps.box);
  const form = formBody('16kb');
  const router = new Router();

  // The first factor turns 2FA on: its recovery set is made then and shown once (recovery-routes.ts).
  const recoverySets = createConsoleRecoverySets({ box: deps.box, registry, clock, audit });

  const env = (ctx: Context, account: Account): FactorEnv => ({ account, ip: ctx.ip, now: clock.now() });

  const { render } = deps.console;

  const input = (ctx: Context): FormInput => {
    const parsed = formSchema.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new AppError('bad_request', 400);
    return parsed.data;
  };

  /** A kind the console can set up now, or 404. */
  const enrollableModule = (kind: string): FactorModule => {
    const found = CONSOLE_KINDS.find((k) => k === kind && registry.enrollable().includes(k));
    const module = found && registry.module(found);
    if (!module) throw new AppError('not_found', 404);
    return module;
  };

  /** One of this account's factors (store lookups are scoped by account: another account's id is not found), or 404. */
  const ownFactor = async (account: Account, id: string): Promise<{ factor: Factor; module: FactorModule }> => {
    const factor = id.length <= 64 ? await factors.find(account.id, id) : null;
    const module = factor && registry.module(factor.kind);
    if (!factor || !module) throw new AppError('not_found', 404);
    return { factor, module };
  };

  /** One of this account's factors whose kind can be set up now (to set it up again), or 404. */
  const ownReplaceable = async (ctx: Context) => {
    const found = await ownFactor(consoleUser(ctx).account, ctx.params.id!);
    enrollableModule(found.factor.kind);
    return found;
  };
  /** "Change your phone number", or "Set up again" for a device (the same one reinstalled, or a new one). */
  const replaceHeading = (factor: Factor, module: FactorModule) =>
    factor.kind === 'phone' ? 'Change your phone number' : `Set up again: ${factor.label ?? module.title}`;

  const beginPage = async (ctx: Context, module: FactorModule, extra: { action: string; heading: string; error?: string; status?: number; number?: string; country?: string; email?: string }) => {
    const { account } = consoleUser(ctx);
    const country = extra.country ?? 'US';
    render(
      ctx,
      'begin',
      {
        title: extra.heading,
        heading: extra.heading,
        kind: module.kind,
        action: extra.action,
        error: extra.error,
        number: extra.number,
        email: extra.email ?? account.email,
        countries: module.kind === 'phone' ? (await countryPrefixes()).map((c) => ({ ...c, selected: c.code === country })) : undefined,
      },
      extra.status,
    );
  };

  /** The pending enrolment of `kind`, or a 400 page when it expired or is not for this kind. */
  const pendingFor = (ctx: Context, kind: FactorKind): Enrolment => {
    const enrolment = enrolments.open(consoleUser(ctx).session);
    if (!enrolment || enrolment.kind !== kind || enrolmentExpired(enrolment, clock.now())) throw new AppError('enrolment_expired', 400);
    return enrolment;
  };

  const confirmPage = async (ctx: Context, module: FactorModule, enrolment: Enrolment, error?: { status: number; text: string }) => {
    const { account } = consoleUser(ctx);
    render(
      ctx,
      'confirm',
      {
        title: `Set up: ${module.title}`,
        heading: enrolment.replaces ? (module.kind === 'phone' ? 'Confirm your new number' : `Set up again: ${module.title}`) : `Set up: ${module.title}`,
        kind: module.kind,
        action: `/account/security/add/${module.kind}/confirm`,
        view: await module.enrolmentView(env(ctx, account), enrolment.pending),
        error: error?.text,
      },
      error?.status,
    );
  };

  /** Starts an enrolment from the begin form (a new factor, or a new number replacing `replaces`). */
  const begin = async (ctx: Context, module: FactorModule, replaces: string | undefined, formAction: string, heading: string) => {
    const { session, account } = consoleUser(ctx);
    const fields = input(ctx);
    try {
      const pending = await module.beginEnrolment(env(ctx, account), fields);
      await sessions.save(enrolments.seal(session, { kind: module.kind, pending, startedAt: clock.now(), replaces }));
    } catch (error) {
      const shown = shownOnPage(error);
      if (!shown) throw error;
      await beginPage(ctx, module, { action: formAction, heading, error: shown.text, status: shown.status, number: fields.number, country: fields.country, email: fields.email });
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/account/security/add/${module.kind}/confirm`);
  };

  // --- Pages ---

  router.get('/account', signedIn, async (ctx) => {
    const { account } = consoleUser(ctx);
    render(ctx, 'profile', { title: 'Your account', name: account.name, email: account.email, emailVerified: account.emailVerified });
  });

  router.get('/account/security', signedIn, async (ctx) => {
    const { account } = consoleUser(ctx);
    const list = await registry.configuredFor(account);
    const done = typeof ctx.query.done === 'string' ? DONE_NOTICES[ctx.query.done] : undefined;
    // The backup method backs up 2FA: its section shows while there is a factor.
    const backup = list.length > 0 ? { method: await deps.backupMethods.get(account.id), describe: deps.backupMethods.describe } : undefined;
    const recovery = registry.recovery();
    const left = recovery && list.length > 0 ? await recovery.remaining(account.id) : undefined;
    render(ctx, 'security', {
      recovery: left && { codes: left.codes, key: left.key, low: left.codes <= LOW_CODES },
      title: 'Protect your account',
      notice: done,
      canAdd: registry.enrollable().some((k) => CONSOLE_KINDS.includes(k)),
      factors: list.map((factor) => {
        const module = registry.module(factor.kind)!;
        const description = module.describe(factor);
        const name = factor.label ?? module.title;
        return {
          id: factor.id,
          name,
          description: description === name ? undefined : description,
          added: new Date(factor.createdAt).toISOString().slice(0, 10),
          isPhone: factor.kind === 'phone',
          canReplace: registry.enrollable().includes(factor.kind),
        };
      }),
      backup: backup && { description: backup.method ? backup.describe(backup.method) : undefined },
    });
  });

  router.get('/account/security/add', signedIn, elevatedPage, async (ctx) => {
    render(ctx, 'add', {
      title: 'Add a sign-in method',
      kinds: registry
        .enrollable()
        .filter((k) => CONSOLE_KINDS.includes(k))
        .map((kind) => ({ kind, title: registry.module(kind)!.title, hint: KIND_HINTS[kind] })),
    });
  });

  router.get('/account/security/add/:kind', signedIn, elevatedPage, async (ctx) => {
    const module = enrollableModule(ctx.params.kind!);
    await beginPage(ctx, module, { action: `/account/security/add/${module.kind}`, heading: `Set up: ${module.title}` });
  });

  router.post('/account/security/add/:kind', form, signedIn, change, async (ctx) => {
    const module = enrollableModule(ctx.params.kind!);
    await begin(ctx, module, undefined, `/account/security/add/${module.kind}`, `Set up: ${module.title}`);
  });

  router.get('/account/security/add/:kind/confirm', signedIn, elevatedPage, async (ctx) => {
    const module = enrollableModule(ctx.params.kind!);
    const enrolment = enrolments.open(consoleUser(ctx).session);
    if (!enrolment || enrolment.kind !== module.kind) {
      ctx.status = 303;
      ctx.redirect(`/account/security/add/${module.kind}`);
      return;
    }
    if (enrolmentExpired(enrolment, clock.now())) throw new AppError('enrolment_expired', 400);
    await confirmPage(ctx, module, enrolment);
  });

  router.post('/account/security/add/:kind/confirm', form, signedIn, change, async (ctx) => {
    const module = enrollableModule(ctx.params.kind!);
    const { session, account } = consoleUser(ctx);
    const fields = input(ctx);
    if (fields.action === 'restart') {
      const replaces = enrolments.open(session)?.replaces;
      await sessions.save(enrolments.clear(session));
      ctx.status = 303;
      ctx.redirect(replaces ? `/account/security/factors/${replaces}/change` : `/account/security/add/${module.kind}`);
      return;
    }
    const enrolment = pendingFor(ctx, module.kind);
    // The account's first factor turns 2FA on: its recovery set is shown before the console goes on.
    const first = !enrolment.replaces && registry.recovery() !== undefined && !(await registry.hasEnrolled(account));
    let added: Factor;
    try {
      added = (await module.finishEnrolment(env(ctx, account), enrolment.pending, fields)).factor;
    } catch (error) {
      const shown = shownOnPage(error);
      if (!shown) throw error;
      await confirmPage(ctx, module, enrolment, shown);
      return;
    }
    let detail = module.describe(added);
    // Support reset 2FA and asked for a new factor: this is it.
    if (account.enrolmentRequired) await accounts.setEnrolmentRequired(account.id, false);
    if (enrolment.replaces) {
      const old = await factors.find(account.id, enrolment.replaces);
      if (old && (await factors.remove(account.id, old.id))) detail = `${detail}, replacing ${registry.module(old.kind)?.describe(old) ?? old.kind}`;
    }
    // Audited before the recovery set it brings, so the activity page reads in the order it happened.
    await audit.record(account.id, 'factor.added', whereOf(ctx), detail);
    await sessions.save(first ? await recoverySets.issue(ctx, enrolments.clear(session), account, 'with the first sign-in method') : enrolments.clear(session));
    recordChange(ctx, { event: 'factor-added', detail });
    ctx.status = 303;
    ctx.redirect(first ? '/account/security/recovery-codes' : `/account/security?done=${enrolment.replaces ? (module.kind === 'phone' ? 'changed' : 'replaced') : 'added'}`);
  });

  router.get('/account/security/factors/:id/rename', signedIn, elevatedPage, async (ctx) => {
    const { factor, module } = await ownFactor(consoleUser(ctx).account, ctx.params.id!);
    render(ctx, 'rename', { title: 'Rename', id: factor.id, label: factor.label ?? module.title, description: module.describe(factor) });
  });

  router.post('/account/security/factors/:id/rename', form, signedIn, change, async (ctx) => {
    const { account } = consoleUser(ctx);
    const { factor, module } = await ownFactor(account, ctx.params.id!);
    const fields = input(ctx);
    const label = labelSchema.safeParse(fields.label ?? '');
    if (!label.success) {
      render(ctx, 'rename', { title: 'Rename', id: factor.id, label: fields.label, description: module.describe(factor), error: message('invalid_label') }, 400);
      return;
    }
    const before = factor.label ?? module.title;
    if (!(await factors.rename(account.id, factor.id, label.data))) throw new AppError('not_found', 404);
    const detail = `${before} is now called “${label.data}”`;
    await audit.record(account.id, 'factor.renamed', whereOf(ctx), detail);
    recordChange(ctx, { event: 'factor-renamed', detail });
    ctx.status = 303;
    ctx.redirect('/account/security?done=renamed');
  });

  router.get('/account/security/factors/:id/remove', signedIn, elevatedPage, async (ctx) => {
    const { account } = consoleUser(ctx);
    const { factor, module } = await ownFactor(account, ctx.params.id!);
    const others = (await registry.enrolledFor(account)).filter((f) => f.id !== factor.id);
    render(ctx, 'remove', { title: 'Remove a sign-in method', id: factor.id, name: factor.label ?? module.title, description: module.describe(factor), last: others.length === 0 });
  });

  router.post('/account/security/factors/:id/remove', form, signedIn, change, async (ctx) => {
    const { account } = consoleUser(ctx);
    const { factor, module } = await ownFactor(account, ctx.params.id!);
    if (!(await factors.remove(account.id, factor.id))) throw new AppError('not_found', 404);
    // The last factor: 2FA is off, and the recovery key and backup codes go with it (a new set comes with the next first factor).
    if (!(await registry.hasEnrolled(account))) await registry.recovery()?.discard(account.id);
    await audit.record(account.id, 'factor.removed', whereOf(ctx), module.describe(factor));
    recordChange(ctx, { event: 'factor-removed', detail: module.describe(factor) });
    ctx.status = 303;
    ctx.redirect('/account/security?done=removed');
  });

  /** Changing a phone number: set up the new number; confirming it removes the old one (one change, one notification). */
  router.get('/account/security/factors/:id/change', signedIn, elevatedPage, async (ctx) => {
    const { factor, module } = await ownReplaceable(ctx);
    await beginPage(ctx, module, { action: `/account/security/factors/${factor.id}/change`, heading: replaceHeading(factor, module) });
  });

  router.post('/account/security/factors/:id/change', form, signedIn, change, async (ctx) => {
    const { factor, module } = await ownReplaceable(ctx);
    await begin(ctx, module, factor.id, `/account/security/factors/${factor.id}/change`, replaceHeading(factor, module));
  });

  return router;
}
