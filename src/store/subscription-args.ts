/** Argument checks shared by the SubscriptionStore adapters. */

/** A decision is 'approved' or 'declined' only: 'pending' (or anything else) is a caller's bug. */
export function assertDecision(status: string): void {
  if (status !== 'approved' && status !== 'declined') throw new TypeError(`Not a decision: ${status}`);
}

/** The last 6 characters of a registration id, stored beside it for lookups by suffix. */
export const registrationSuffix = (registrationId: string): string => registrationId.slice(-6);
