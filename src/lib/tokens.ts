/**
 * Secrets presented as bearer tokens (the admin token, gateway API keys, agent tokens) are
 * stored only as a hex SHA-256 hash and compared in constant time. One implementation for
 * all three.
 */
import { hash, timingSafeEqual } from 'node:crypto';

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** True when the presented token hashes to storedHash; constant time for a well-formed hash. */
export function tokenMatches(presented: string, storedHash: string | null | undefined): boolean {
  if (typeof presented !== 'string' || typeof storedHash !== 'string' || !storedHash) return false;
  const a = hash('sha256', presented, 'buffer');
  const b = Buffer.from(storedHash, 'hex');
  if (b.length !== a.length) {
    // A malformed stored hash: spend what a comparison costs, then refuse.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
