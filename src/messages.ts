/** User-facing text, keyed by stable codes (English; the keys are what other locales translate). */
export const messages = {
  invalid_credentials: 'The email address or password is incorrect.',
  throttled: 'Too many sign-in attempts. Wait {minutes} minute(s) and try again.',
  invalid_email: 'Enter a valid email address.',
  email_taken: 'An account with this email address already exists.',
  password_too_short: 'Use a password of at least 8 characters.',
  password_too_long: 'Use a password of at most 128 characters.',
  password_too_common: 'This password is on lists of common or leaked passwords. Choose another: a few unrelated words make a strong password that is easy to remember.',
  password_too_weak: 'This password is too easy to guess. Choose a longer one: a few unrelated words make a strong password that is easy to remember.',
  invalid_name: 'Enter your name (at most 100 characters).',
  email_in_use: 'You cannot create an account with {email}: this email address is already in use. Sign in, or choose Forgot password if you do not remember your password.',
  signup_code_throttled: 'Too many wrong codes for this email address. Wait {minutes} minute(s) and try again.',
  signup_send_throttled: 'Too many codes were sent to this email address or from your network. Wait {minutes} minute(s) and try again.',
  reset_link_invalid: 'This link has expired or was already used. Ask for a new one: a link works once, for 1 hour.',
  reset_throttled: 'Too many password reset requests. Wait {minutes} minute(s) and try again.',
  reset_delivery_failed: 'We could not send the email. Try again in a moment.',
  csrf_failed: 'This form has expired or was not sent from this site. Go back, reload the page and try again.',
  bad_request: 'The request could not be understood. Go back to the app and try again.',
  payload_too_large: 'The request was too large. Go back and try again with less text.',
  unsupported_media_type: 'This kind of request body is not accepted here. Go back to the app and try again.',
  not_found: 'There is nothing at this address. Check it for typing mistakes, or go back to the app and start again.',
  method_not_allowed: 'This address cannot be used that way. Go back to the app and try again.',
  interaction_expired: 'This sign-in request has expired or was already completed. Go back to the app and start again.',
  device_expired: 'This device sign-in has expired or was already completed. Start again on your device, then enter the code it shows.',
  device_code_invalid: 'That code is not valid or has expired. Check it and try again.',
  device_aborted: 'The sign-in on your device was cancelled.',
  device_enter_code: 'Enter a code from your device',
  logout_expired: 'This sign-out request has expired or was already completed. If you still want to sign out, go back to the app and sign out again.',
  server_error: 'Something went wrong on our side. Go back to the app and try again in a moment.',
  service_unavailable: 'Latchkey cannot reach its storage right now. Nothing was changed; please try again in a moment.',
  delivery_failed: 'We could not send the code; try again or choose another way.',
  unknown_client: 'There is no client with id {clientId}.',
  invalid_client_metadata: 'The client registration is invalid: {detail}',
  public_client_credentials:
    'A public client (no secret) cannot use the client_credentials grant: that grant authenticates the client by its secret alone. Register a confidential client instead.',
  public_resource_server:
    "A public client (no secret) cannot be a resource server: reading other clients' tokens requires a client that authenticates.",
  public_client_no_secret: 'Client {clientId} is public: it has no secret to rotate.',
  wrong_host: 'Latchkey is not served at this address. Open {issuer} instead.',
  https_required: 'This page must be opened over a secure (https) connection. Open {issuer} instead.',
  rate_limited: 'Too many requests from your network. Wait a minute and try again.',
  wrong_code: 'That code is not right or has expired. Check it and try again, or ask for a new code.',
  wrong_recovery_code: 'That code is not right or was already used. Check it and try again.',
  recovery_not_saved: 'Tick the box to confirm you saved your recovery key and backup codes.',
  code_throttled: 'Too many wrong codes. Wait {minutes} minute(s) and try again, or authenticate a different way.',
  send_throttled: 'Too many codes were sent. Wait {minutes} minute(s), or authenticate a different way.',
  invalid_phone: 'Enter a valid phone number for the country you chose.',
  step_mismatch: 'This page is out of date: the sign-in has moved on. Go back to the sign-in page to continue.',
  factor_unavailable: 'This way of signing in cannot be used right now. Choose another way.',
  webauthn_failed: 'Your security key or passkey could not be verified. Try again, or authenticate a different way.',
  webauthn_registered: 'This security key or passkey is already registered. Use it to sign in, or add a different one.',
  // The account console (/account).
  account_signin_expired: 'This sign-in to your account page has expired or was already used. Open your account page again to sign in.',
  account_signin_cancelled: 'The sign-in was cancelled or could not be completed. Nothing was changed. Open your account page again to try once more.',
  enrolment_expired: 'This setup has expired or was already finished. Nothing was added. Go back to your account page and start again.',
  invalid_label: 'Enter a name of 1 to 64 characters (letters, digits, spaces and punctuation).',
  // Subscriptions (/account/subscriptions, `latchkey subscriptions`).
  subscription_mismatch:
    "We could not match these details to a subscription. Check the Customer Number or Registration ID and the subscription owner's email address, and try again.",
  subscription_join_throttled: 'Too many attempts to join a subscription. Wait {minutes} minute(s) and try again.',
  subscription_delivery_failed: 'We could not send the email to the subscription owner. Try again in a moment.',
  subscription_link_invalid: 'This link has expired or was already used: the request was already answered, or it is more than 7 days old.',
  subscription_not_owner:
    'This link is for the owner of the subscription, and you are signed in with another account. Sign out, then open the link again and sign in as the owner.',
  invalid_subscription_name: 'Give the subscription a name of 1 to 100 characters (letters, digits, spaces and punctuation).',
  subscription_owner_unknown: 'There is no account with the email address {email}: create the owner\'s account first.',
  // Resetting 2FA (recovery/two-factor-reset.ts).
  two_factor_link_invalid:
    'This link has expired or was already used: a link to set up 2-factor authentication again works once, for 30 minutes. Sign in, choose Authenticate a different way, then Use backup method to get a new one.',
  two_factor_reset_password: 'The password is incorrect. Enter the password of the account this link was sent for.',
  backup_not_enough:
    'Your password was reset with an email link and your backup method is an email address too: two inboxes do not prove it is you. Use your recovery key or a backup code, or ask your administrator to contact support.',
  // node-oidc-provider's protocol errors, as a person who followed an app's link sees them.
  invalid_redirect_uri:
    "The app asked Latchkey to send you back to an address it has not registered. The app's developer must register this address. Until then, go back to the app; you cannot sign in through it.",
  invalid_post_logout_redirect_uri:
    "The app asked Latchkey to send you back after signing out to an address it has not registered. The app's developer must register this address. You have not been signed out.",
  invalid_client: "Latchkey does not know the app that sent you here. The app's developer must register it with Latchkey or correct its client ID. Go back to the app.",
  unauthorized_client: "The app asked for something it is not registered for. The app's developer must change its registration. Go back to the app.",
  invalid_scope: "The app asked for access that Latchkey does not offer. Go back to the app; its developer must correct the request.",
  access_denied: 'The sign-in was cancelled. Go back to the app if you want to try again.',
  invalid_token: 'This address is for apps, not for a browser. Go back to the app you were using.',
  protocol_error: "The app sent a request Latchkey cannot accept. Go back to the app and try again; if it happens again, tell the app's developer the error code below.",
  // Backup method
  backup_same_as_login_email:
    "You can't use the same email address that you use to sign in. Use a phone number instead, or another email address (you can create one with a free provider such as Gmail or Outlook).",
  backup_same_as_phone: 'This number is already a sign-in method of your account. Use an email address instead, or another phone number.',
  backup_same_as_email_factor: 'This email address is already a sign-in method of your account. Use a phone number instead, or another email address.',
  backup_kind_required: 'Choose Phone number or Email address.',
  backup_channel_required: 'Choose how to receive the code: Text message or Phone call.',
  backup_kind_unavailable: 'Codes cannot be sent this way right now. Choose the other option.',
  backup_needs_2fa: 'Set up a sign-in method (two-factor authentication) first: a backup method is there to reset it.',
  phone_is_backup: 'This number is your backup method. Use another phone number here, or change your backup method first.',
  backup_form_invalid: 'Fill in each field of the form once, then select Continue again.',
} as const;

export type MessageKey = keyof typeof messages;

export function message(key: MessageKey, params: Record<string, string> = {}): string {
  return messages[key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
}

/** Error page headings, by the same codes as their text in `messages`; other codes get DEFAULT_HEADING. */
const headings: Partial<Record<MessageKey, string>> = {
  csrf_failed: 'This form has expired',
  bad_request: 'Something is wrong with this request',
  payload_too_large: 'This request is too large',
  unsupported_media_type: 'This request cannot be accepted',
  not_found: 'Page not found',
  method_not_allowed: 'This page cannot do that',
  interaction_expired: 'This sign-in has expired',
  reset_link_invalid: 'This link has expired',
  two_factor_link_invalid: 'This link has expired',
  device_expired: 'This device sign-in has expired',
  logout_expired: 'This sign-out has expired',
  server_error: 'Something went wrong',
  service_unavailable: 'Latchkey is temporarily unavailable',
  delivery_failed: 'We could not send the code',
  wrong_host: 'Wrong address',
  https_required: 'A secure connection is needed',
  rate_limited: 'Too many requests',
  invalid_redirect_uri: "This app's return address is not registered",
  invalid_post_logout_redirect_uri: "This app's return address is not registered",
  invalid_client: 'This app is not registered with Latchkey',
  unauthorized_client: 'This app is not allowed to do that',
  invalid_scope: 'This app asked for unknown access',
  access_denied: 'Sign-in cancelled',
  account_signin_expired: 'This sign-in has expired',
  account_signin_cancelled: 'Sign-in cancelled',
  enrolment_expired: 'This setup has expired',
  subscription_link_invalid: 'This link has expired',
  subscription_not_owner: 'Signed in as another account',
  invalid_token: 'This address is for apps',
  protocol_error: 'This sign-in request cannot continue',
};

const DEFAULT_HEADING = 'Something went wrong';

export interface ErrorText {
  heading: string;
  text: string;
}

/** What an error page says: a heading naming what happened, and text saying what to do next. */
export function errorText(key: MessageKey, params: Record<string, string> = {}): ErrorText {
  return { heading: headings[key] ?? DEFAULT_HEADING, text: message(key, params) };
}

/** node-oidc-provider error codes (renderError's out.error) that have a message of their own. */
const PROVIDER_CODES: Partial<Record<string, MessageKey>> = {
  invalid_redirect_uri: 'invalid_redirect_uri',
  invalid_client: 'invalid_client',
  unauthorized_client: 'unauthorized_client',
  invalid_scope: 'invalid_scope',
  access_denied: 'access_denied',
  invalid_token: 'invalid_token',
  server_error: 'server_error',
  temporarily_unavailable: 'service_unavailable',
};

/**
 * The message that explains a node-oidc-provider error to a person. The code alone is too
 * coarse for `invalid_request`, so the error's class (SessionNotFound: an expired or
 * replayed sign-in), the route and the description refine it.
 */
export function providerErrorKey(error: string, context: { name?: string; route?: string; description?: string } = {}): MessageKey {
  if (context.name === 'SessionNotFound') return 'interaction_expired';
  if (error === 'invalid_request' && context.route === 'end_session_confirm') return 'logout_expired';
  if (error === 'invalid_request' && context.description === 'post_logout_redirect_uri not registered') {
    return 'invalid_post_logout_redirect_uri';
  }
  return PROVIDER_CODES[error] ?? 'protocol_error';
}
