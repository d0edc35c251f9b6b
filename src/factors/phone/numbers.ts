import type { CountryCode } from 'libphonenumber-js';

type PhoneLibrary = typeof import('libphonenumber-js');

/**
 * libphonenumber-js and its metadata (a few MB resident) load with the first phone number
 * handled, not at start: a deployment without SMS or voice delivery never offers a phone and
 * never loads them. (The module loader keeps the module once loaded.)
 */
const phoneLibrary = (): Promise<PhoneLibrary> => import('libphonenumber-js');

export interface CountryPrefix {
  code: CountryCode;
  prefix: string;
  name: string;
}

// Immutable data derived from the library's metadata, built on first use and shared.
let prefixes: Promise<readonly CountryPrefix[]> | undefined;

/** Every country with its calling code, sorted by English name, for the country prefix list (built once). */
export function countryPrefixes(): Promise<readonly CountryPrefix[]> {
  return (prefixes ??= phoneLibrary().then(({ getCountries, getCountryCallingCode }) => {
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    return Object.freeze(
      getCountries()
        .map((code) => ({ code, prefix: `+${getCountryCallingCode(code)}`, name: names.of(code) ?? code }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
  }));
}

/**
 * A number typed with a chosen country prefix, in E.164, or null when it is not a valid
 * phone number there. A number typed with its own +prefix keeps it.
 */
export async function toE164(country: string, number: string): Promise<string | null> {
  if (!/^[A-Z]{2}$/.test(country) || number.length > 40) return null;
  const { getCountries, parsePhoneNumberFromString } = await phoneLibrary();
  if (!getCountries().includes(country as CountryCode)) return null;
  const parsed = parsePhoneNumberFromString(number, country as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}

/** A stored number as E.164 (already so when it was entered through toE164; reparsed so that any spelling compares equal). */
export async function normalPhone(value: unknown): Promise<string | null> {
  if (typeof value !== 'string') return null;
  const { parsePhoneNumberFromString } = await phoneLibrary();
  return parsePhoneNumberFromString(value)?.number ?? null;
}
