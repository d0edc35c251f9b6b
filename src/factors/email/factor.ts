import { z } from 'zod';
import type { Mailer } from '../../delivery/index.js';
import { maskEmail } from '../../delivery/redact.js';
import { AppError } from '../../errors.js';
import type { FactorStore } from '../../store/ports.js';
import type { FactorLimits } from '../attempts.js';
import { codeFactor, type CodeDestination } from '../code-factor.js';
import type { FactorModule } from '../factor.js';
import type { OneTimeCodes } from '../one-time-codes.js';

const address = z.email().max(320);

/**
 * A code to a verified email address: a second factor (class "inbox" in assurance.ts, so
 * never phishing-resistant, and never two factors together with another inbox).
 */
export function emailFactor(deps: { factors: FactorStore; codes: OneTimeCodes; limits: FactorLimits; mail: Mailer }): FactorModule {
  const destination = (email: string): CodeDestination => ({ address: email, method: 'email', masked: maskEmail(email) });
  return codeFactor(
    {
      kind: 'email',
      title: 'Email code',
      available: () => deps.mail.available,
      async destinationFromForm(env, input) {
        const typed = (input.email ?? '').trim() || env.account.email;
        const parsed = address.safeParse(typed);
        if (!parsed.success) throw new AppError('invalid_email', 400);
        return destination(parsed.data.toLowerCase());
      },
      destinationOf: (factor) => destination(String(factor.data.email)),
      dataFor: (d) => ({ email: d.address }),
      describe: (factor) => `Email to ${maskEmail(String(factor.data.email))}`,
      async send(d, code, purpose) {
        await deps.mail.send({ to: d.address, template: 'verification-code', data: { code, purpose: purpose === 'setup' ? 'factor-setup' : 'sign-in', minutes: 10 } });
      },
    },
    deps,
  );
}
