/**
 * Secrets presented as bearer tokens (the admin token, gateway API keys, agent tokens) are
 * stored only as a hex SHA-256 hash and compared in constant time. One implementation for
 * all three.
 */
import { hash, timingSafeEqual } from 'node:crypto';

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/**
 * True when the presented token hashes to storedHash; constant time for a well-formed hash.
 * No stored hash (no such key, a deployment without a token) costs the same hash and
 * compare before the refusal, so a miss does not answer faster than a wrong token.
 */
export function tokenMatches(presented: string, storedHash: string | null | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const a = hash('sha256', presented, 'buffer');
  const b = Buffer.from(typeof storedHash === 'string' ? storedHash : '', 'hex');
  if (b.length !== a.length) {
    // Missing or malformed: spend what a comparison costs, then refuse.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
