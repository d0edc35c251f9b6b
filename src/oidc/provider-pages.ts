import type { KoaContextWithOIDC } from 'oidc-provider';
import { errorText, message, providerErrorKey, type MessageKey } from '../messages.js';
import type { Views } from '../http/views.js';
import { BackendUnavailableError } from '../store/ports.js';

const clientName = (ctx: KoaContextWithOIDC) => ctx.oidc?.client?.clientName ?? ctx.oidc?.client?.clientId;

/** The re-render errors node-oidc-provider raises for a mistyped, unknown, expired or used user code. */
const USER_CODE_ERRORS = new Set(['NoCodeError', 'NotFoundError', 'ExpiredError', 'AlreadyUsedError']);

interface ErrorPageExtra {
  /** The protocol error code, shown small for whoever the person reports the problem to. */
  code?: string;
  /** The provider's error_description, shown small for the app's developer. */
  detail?: string;
  /** A next step that is a link on our side. */
  action?: { href: string; label: string };
}

/**
 * The pages node-oidc-provider renders itself (logout, device flow, protocol errors),
 * drawn with our templates. `form` is the provider's own HTML form with its xsrf token.
 */
export function providerPages(views: Views) {
  const html = (ctx: KoaContextWithOIDC, page: string, data: { title: string; [k: string]: unknown }) => {
    ctx.type = 'html';
    ctx.body = views.render(page, data);
  };
  const errorPage = (ctx: KoaContextWithOIDC, key: MessageKey, extra: ErrorPageExtra = {}) => {
    const { heading, text } = errorText(key);
    html(ctx, 'error', { title: heading, heading, message: text, code: extra.code ?? key, detail: extra.detail, action: extra.action });
  };
  const unavailable = (ctx: KoaContextWithOIDC) => {
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    errorPage(ctx, 'service_unavailable');
  };

  return {
    async logoutSource(ctx: KoaContextWithOIDC, form: string) {
      html(ctx, 'logout', { title: 'Sign out', form, clientName: clientName(ctx) });
    },
    /**
     * Where /session/end/confirm sends the browser when the RP gave no post_logout_redirect_uri.
     * "No, stay signed in" lands here too (with client_id when an app asked), and the provider
     * keeps the session then: the page says what is true of this browser's session now.
     */
    async postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      const session = await ctx.oidc.provider.Session.get(ctx);
      const signedIn = typeof session.accountId === 'string';
      html(ctx, 'logout-success', { title: signedIn ? 'Still signed in' : 'Signed out', signedIn, clientName: clientName(ctx) });
    },
    async userCodeInputSource(ctx: KoaContextWithOIDC, _form: string, out?: { error?: string }, err?: { name?: string; userCode?: string }) {
      if (err instanceof BackendUnavailableError) {
        unavailable(ctx);
        return;
      }
      const session = ctx.oidc.session as { exp?: unknown; touched?: boolean } | undefined;
      if (err && session && typeof session.exp !== 'number') {
        // The provider's error handler has just written a fresh xsrf secret into a session
        // that was never stored (no or a stale cookie), and would then fail to "persist" it
        // with a 500. Nothing this browser sent can continue without a stored session, so
        // the session stays unsaved and the person is told to start again.
        session.touched = false;
        ctx.status = 400;
        errorPage(ctx, 'device_expired', {
          action: { href: ctx.oidc.provider.pathFor('code_verification'), label: message('device_enter_code') },
        });
        return;
      }
      let error: string | undefined;
      if (err && (err.userCode || USER_CODE_ERRORS.has(err.name ?? ''))) error = message('device_code_invalid');
      else if (err?.name === 'AbortedError') error = message('device_aborted');
      else if (err && out?.error === 'server_error') error = message('server_error');
      else if (err) error = message('device_expired');
      // Our own form rather than the provider's `form`, whose input has no label and an
      // inline onfocus handler that the CSP blocks. Same fields, same xsrf secret.
      const xsrf = (ctx.oidc.session?.state as { secret?: string } | undefined)?.secret;
      html(ctx, 'device-input', {
        title: 'Connect a device',
        action: ctx.oidc.provider.pathFor('code_verification'),
        xsrf,
        userCode: err?.userCode,
        error,
      });
    },
    async userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, _client: unknown, _info: unknown, userCode: string) {
      html(ctx, 'device-confirm', { title: 'Confirm the device', form, userCode, clientName: clientName(ctx) });
    },
    async successSource(ctx: KoaContextWithOIDC) {
      html(ctx, 'device-success', { title: 'Device connected', clientName: clientName(ctx) });
    },
    async renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: unknown) {
      if (error instanceof BackendUnavailableError) {
        unavailable(ctx);
        return;
      }
      const key = providerErrorKey(out.error, {
        name: (error as { name?: string } | undefined)?.name,
        route: ctx.oidc?.route,
        description: out.error_description,
      });
      // The provider's description of an unexpected failure says nothing useful ("oops!").
      const detail = out.error === 'server_error' ? undefined : out.error_description;
      errorPage(ctx, key, { code: out.error, detail });
    },
  };
}
