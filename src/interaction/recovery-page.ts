import type { Context } from 'koa';
import type { RecoverySecrets } from '../factors/recovery/recovery-codes.js';

/** What the recovery-codes page shows (sign-in and console alike). */
export function recoveryCodesView(secrets: RecoverySecrets) {
  return {
    recoveryKey: secrets.recoveryKey,
    codes: secrets.codes,
    // For "select and copy" without JavaScript: the same text as the downloaded file's values.
    copyText: [`Recovery key: ${secrets.recoveryKey}`, 'Backup codes:', ...secrets.codes].join('\n'),
  };
}

/** "Download": a text file attachment, answered to a POST (the codes are never in a URL or a log). */
export function sendRecoveryFile(ctx: Context, text: string): void {
  ctx.status = 200;
  ctx.set('Content-Disposition', 'attachment; filename="latchkey-recovery-codes.txt"');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = text;
}
