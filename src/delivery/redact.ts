/*
 * Recipients as the log shows them once a real carrier is configured: enough to tell
 * messages apart when supporting a user, not a list of who signed up.
 */

/** `ada@example.com` → `a***@example.com`. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

/** `+447700900123` → `+44•••••••123`: the country and the last digits a person recognises. */
export function maskPhone(e164: string): string {
  if (e164.length < 8) return '***';
  return `${e164.slice(0, 3)}${'•'.repeat(e164.length - 6)}${e164.slice(-3)}`;
}
