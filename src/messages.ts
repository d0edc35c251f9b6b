/** User-facing text, keyed by stable codes (English; the keys are what other locales translate). */
export const messages = {
  invalid_credentials: 'The email address or password is incorrect.',
  throttled: 'Too many sign-in attempts. Wait {minutes} minute(s) and try again.',
  invalid_email: 'Enter a valid email address.',
  email_taken: 'An account with this email address already exists.',
  password_too_short: 'Use a password of at least 8 characters.',
  password_too_long: 'Use a password of at most 128 characters.',
  csrf_failed: 'This form has expired or was not sent from this site. Go back, reload the page and try again.',
  bad_request: 'The request could not be understood.',
  payload_too_large: 'The request was too large.',
  unsupported_media_type: 'This kind of request body is not accepted here.',
  not_found: 'The page you asked for does not exist.',
  interaction_expired: 'This sign-in request has expired or was already completed. Go back to the application and start again.',
  server_error: 'Something went wrong on our side. Please try again.',
  service_unavailable: 'Latchkey cannot reach its storage right now. Nothing was changed; please try again in a moment.',
  unknown_client: 'There is no client with id {clientId}.',
  invalid_client_metadata: 'The client registration is invalid: {detail}',
} as const;

export type MessageKey = keyof typeof messages;

export function message(key: MessageKey, params: Record<string, string> = {}): string {
  return messages[key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
}
