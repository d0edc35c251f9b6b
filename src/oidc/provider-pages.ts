import type { KoaContextWithOIDC } from 'oidc-provider';
import { message } from '../messages.js';
import type { Views } from '../http/views.js';
import { BackendUnavailableError } from '../store/ports.js';

const clientName = (ctx: KoaContextWithOIDC) => ctx.oidc?.client?.clientName ?? ctx.oidc?.client?.clientId;

/**
 * The pages node-oidc-provider renders itself (logout, device flow, protocol errors),
 * drawn with our templates. `form` is the provider's own HTML form with its xsrf token.
 */
export function providerPages(views: Views) {
  const html = (ctx: KoaContextWithOIDC, page: string, data: { title: string; [k: string]: unknown }) => {
    ctx.type = 'html';
    ctx.body = views.render(page, data);
  };
  return {
    async logoutSource(ctx: KoaContextWithOIDC, form: string) {
      html(ctx, 'logout', { title: 'Sign out', form, clientName: clientName(ctx) });
    },
    async postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      html(ctx, 'logout-success', { title: 'Signed out', clientName: clientName(ctx) });
    },
    async userCodeInputSource(ctx: KoaContextWithOIDC, form: string, _out?: unknown, err?: { name?: string; userCode?: string }) {
      let error: string | undefined;
      if (err && (err.userCode || err.name === 'NoCodeError')) error = 'That code is not valid or has expired. Check it and try again.';
      else if (err?.name === 'AbortedError') error = 'The sign-in on your device was cancelled.';
      else if (err) error = message('server_error');
      html(ctx, 'device-input', { title: 'Connect a device', form, error });
    },
    async userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, _client: unknown, _info: unknown, userCode: string) {
      html(ctx, 'device-confirm', { title: 'Confirm the device', form, userCode, clientName: clientName(ctx) });
    },
    async successSource(ctx: KoaContextWithOIDC) {
      html(ctx, 'device-success', { title: 'Device connected', clientName: clientName(ctx) });
    },
    async renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: unknown) {
      if (error instanceof BackendUnavailableError) {
        ctx.set('Retry-After', '5');
        html(ctx, 'error', { title: 'Temporarily unavailable', heading: 'Temporarily unavailable', message: message('service_unavailable') });
        return;
      }
      html(ctx, 'error', {
        title: 'Sign-in problem',
        heading: 'This sign-in request cannot continue',
        message: out.error_description ?? out.error,
        code: out.error,
      });
    },
  };
}
