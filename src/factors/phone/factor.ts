import type { PhoneSender } from '../../delivery/index.js';
import { maskPhone } from '../../delivery/redact.js';
import { AppError } from '../../errors.js';
import type { Account, FactorStore } from '../../store/ports.js';
import type { FactorLimits } from '../attempts.js';
import { codeFactor, type CodeDestination } from '../code-factor.js';
import type { FactorModule, FormInput } from '../factor.js';
import type { OneTimeCodes } from '../one-time-codes.js';
import { toE164 } from './numbers.js';

export type PhoneChannelChoice = 'sms' | 'voice';

/**
 * Text message or phone call to a number chosen with its country prefix (stored E.164).
 * `checkNumber` may refuse a number (throwing the AppError the form shows) before any code is
 * sent: the account's backup phone is never also a sign-in phone (recovery/backup-methods.ts).
 */
export function phoneFactor(deps: {
  factors: FactorStore;
  codes: OneTimeCodes;
  limits: FactorLimits;
  phone: PhoneSender;
  checkNumber?: (account: Account, e164: string) => Promise<void>;
}): FactorModule {
  const destination = (e164: string, channel: PhoneChannelChoice): CodeDestination => ({
    address: e164,
    method: channel,
    masked: maskPhone(e164),
  });
  return codeFactor(
    {
      kind: 'phone',
      title: 'Text message or phone call',
      available: () => deps.phone.available,
      async destinationFromForm(env, input: FormInput) {
        const e164 = await toE164(input.country ?? '', input.number ?? '');
        if (!e164) throw new AppError('invalid_phone', 400);
        await deps.checkNumber?.(env.account, e164);
        return destination(e164, input.channel === 'voice' ? 'voice' : 'sms');
      },
      destinationOf: (factor) => destination(String(factor.data.e164), factor.data.channel === 'voice' ? 'voice' : 'sms'),
      dataFor: (d) => ({ e164: d.address, channel: d.method }),
      describe: (factor) => `${factor.data.channel === 'voice' ? 'Phone call' : 'Text message'} to ${maskPhone(String(factor.data.e164))}`,
      async send(d, code) {
        if (d.method === 'voice') await deps.phone.send({ to: d.address, channel: 'voice', template: 'voice-code', data: { code } });
        else await deps.phone.send({ to: d.address, channel: 'sms', template: 'sms-code', data: { code, minutes: 10 } });
      },
    },
    deps,
  );
}
