/**
 * User-data as each cloud's API field wants it. The engine hands providers the plain
 * cloud-config text (CreateRequest.userData); each provider calls this once, at the place
 * it fills its API field, so the document is encoded exactly once: base64 for EC2 and
 * Exoscale (gzip-compressed first when plain does not fit), the text itself for Hetzner.
 * The limits and their rules live in bootstrap/limits.ts (fitForProvider).
 */
import { fitForProvider, UserDataTooLargeError } from '../bootstrap/limits.js';
import { InvalidRequestError } from './errors.js';

/** The value for the provider's user-data field; InvalidRequestError (no retry) when it cannot fit. */
export function userDataField(provider: string, userData: string): string {
  try {
    return fitForProvider(provider, userData).apiValue;
  } catch (err) {
    if (err instanceof UserDataTooLargeError) throw new InvalidRequestError(`${provider}: ${err.message}`);
    throw err;
  }
}
