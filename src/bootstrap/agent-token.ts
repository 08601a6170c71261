/**
 * The on-host agent's token: one per deployment, shown to the machine once (inside its
 * user-data, in a root-only file), stored by the control plane only as a SHA-256 hash.
 * Revoking it is deleting or replacing the stored hash.
 */
import { randomBytes } from 'node:crypto';
import { hashToken, tokenMatches } from '../lib/tokens.js';

const PREFIX = 'aloft_agent_';

/** A new token: `aloft_agent_` + 32 random bytes, base64url. */
export function generateAgentToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of the token: what the store keeps. */
export const hashAgentToken = hashToken;

/** Compares the presented token's hash with the stored hash in constant time. */
export const verifyAgentToken = tokenMatches;

/** True for strings shaped like an agent token (cheap pre-check before hashing). */
export function looksLikeAgentToken(token: string): boolean {
  return token.startsWith(PREFIX) && /^[A-Za-z0-9_-]{43}$/.test(token.slice(PREFIX.length));
}
