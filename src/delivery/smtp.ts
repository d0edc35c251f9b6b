import type { Transporter } from 'nodemailer';
import type { Carrier, OutgoingEmail } from './carriers.js';

export interface SmtpOptions {
  /** smtp:// or smtps://, credentials and nodemailer options (?requireTLS=true) included. */
  url: string;
  from: string;
}

/**
 * Email through an SMTP server. A connection per message: codes are rare and a pool
 * would hold a socket that the server closes anyway. Timeouts are far below nodemailer's
 * minutes-long defaults so that a dead server becomes a clear page while the person waits;
 * options in the URL's query still override them.
 */
export function createSmtpCarrier({ url, from }: SmtpOptions): Carrier<OutgoingEmail> {
  // nodemailer is loaded with the first message, not at start: most requests never send one.
  let transport: Promise<Transporter> | undefined;
  let opened: Transporter | undefined;
  const open = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) => {
      opened = nodemailer.createTransport({
        url,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
        // Nothing we send refers to files or URLs; refuse them should a template ever try.
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      return opened;
    }));
  return {
    name: 'smtp',
    async send({ to, subject, text, html }) {
      const info = await (await open()).sendMail({
        from,
        to,
        subject,
        text,
        html,
        // RFC 3834: keeps auto-responders ("out of office") from answering a code.
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      return { id: info.messageId };
    },
    close: () => opened?.close(),
  };
}
