/**
 * API keys: `aloft_` + base64url of 32 random bytes (256 bits). Only the SHA-256 hash and
 * a short public prefix are stored; the key itself is shown once, when it is created.
 * The prefix is the first PREFIX_LENGTH characters after `aloft_` (72 random bits), so a
 * presented key finds its row by prefix and is then checked by hash in constant time.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { hashToken, tokenMatches } from '../lib/tokens.js';
import type { StoredKey } from './types.js';

export const KEY_PREFIX = 'aloft_';
export const PREFIX_LENGTH = 12;
const KEY_BYTES = 32;
/** 32 bytes in base64url without padding. */
const KEY_BODY_LENGTH = 43;

export interface GeneratedKey {
  /** The secret: printed once, never stored. */
  key: string;
  prefix: string;
  hash: string;
}

export function generateKey(): GeneratedKey {
  const key = KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
  return { key, prefix: prefixOf(key)!, hash: hashKey(key) };
}

export const hashKey = hashToken;

/** The public prefix of a well-formed key, or null when it cannot be one of ours. */
export function prefixOf(key: string): string | null {
  if (!key.startsWith(KEY_PREFIX) || key.length !== KEY_PREFIX.length + KEY_BODY_LENGTH) return null;
  const prefix = key.slice(KEY_PREFIX.length, KEY_PREFIX.length + PREFIX_LENGTH);
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    // base64url: A-Z a-z 0-9 - _
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return null;
  }
  return prefix;
}

/** Accepts `abc…`, `aloft_abc…` or a whole key, as users paste any of them. */
export function normalizePrefix(input: string): string {
  const s = input.trim();
  const body = s.startsWith(KEY_PREFIX) ? s.slice(KEY_PREFIX.length) : s;
  return body.slice(0, PREFIX_LENGTH);
}

/** Constant-time comparison of the presented key's hash with the stored hash. */
export function verifyKey(presented: string, stored: Pick<StoredKey, 'hash'>): boolean {
  return tokenMatches(presented, stored.hash);
}

/** Header names that may carry a client key; all are removed before forwarding. */
export const KEY_HEADERS = ['authorization', 'x-aloft-key', 'x-ollama-key'] as const;

/** The headers a key may come in (node:http's IncomingHttpHeaders and the fast lane's fields both fit). */
export interface KeyHeaders {
  authorization?: string;
  'x-aloft-key'?: string | string[];
  'x-ollama-key'?: string | string[];
}

/** The key a client presented: `Authorization: Bearer`, `X-Aloft-Key` or `X-Ollama-Key`. */
export function extractKey(headers: KeyHeaders): string | null {
  const auth = headers.authorization;
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    const v = auth.slice(7).trim();
    if (v) return v;
  }
  const a = headers['x-aloft-key'];
  if (typeof a === 'string' && a) return a.trim();
  const o = headers['x-ollama-key'];
  if (typeof o === 'string' && o) return o.trim();
  return null;
}

export type KeyCheck =
  | { ok: true; key: StoredKey }
  | { ok: false; status: 401; code: 'missing_key' | 'invalid_key' | 'expired_key' | 'revoked_key'; message: string };

/**
 * verifyKey with a memory: SHA-256 is most of what a key check costs, and a client presents
 * the same key on every request. Once a key has matched a stored hash, the key's bytes are
 * kept (in this process only, for `ttlMs`) under that hash, and the next presentation is
 * compared with them in constant time instead of hashed. A pure memo of "this key hashes to
 * that hash": revocation and expiry are still read from the row on every request.
 */
export function createKeyVerifier(opts: { ttlMs?: number; max?: number } = {}): (presented: string, stored: Pick<StoredKey, 'hash'>) => boolean {
  const ttlMs = opts.ttlMs ?? 60_000;
  const max = opts.max ?? 10_000;
  const known = new Map<string, { key: Buffer; at: number }>();
  return (presented, stored) => {
    const hit = known.get(stored.hash);
    const now = Date.now();
    if (hit && now - hit.at < ttlMs) {
      const p = Buffer.from(presented, 'utf8');
      if (p.length === hit.key.length && timingSafeEqual(p, hit.key)) return true;
    }
    if (!verifyKey(presented, stored)) return false;
    if (known.size >= max) known.clear();
    known.set(stored.hash, { key: Buffer.from(presented, 'utf8'), at: now });
    return true;
  };
}

/** Finds and checks a presented key (not its scope: that needs the deployment). */
export async function checkKey(
  presented: string | null,
  find: (prefix: string) => Promise<StoredKey | null>,
  now: number,
  verify: (presented: string, stored: Pick<StoredKey, 'hash'>) => boolean = verifyKey,
): Promise<KeyCheck> {
  if (!presented) return { ok: false, status: 401, code: 'missing_key', message: 'An API key is required' };
  const prefix = prefixOf(presented);
  const stored = prefix ? await find(prefix) : null;
  let valid = false;
  if (stored) valid = verify(presented, stored);
  // Hash even when no row matched: a made-up prefix costs about what a real one does.
  else tokenMatches(presented, null);
  if (!valid || !stored) return { ok: false, status: 401, code: 'invalid_key', message: 'The API key is not valid' };
  if (stored.revokedAt !== null && stored.revokedAt <= now) {
    return { ok: false, status: 401, code: 'revoked_key', message: 'The API key has been revoked' };
  }
  if (stored.expiresAt !== null && stored.expiresAt <= now) {
    return { ok: false, status: 401, code: 'expired_key', message: 'The API key has expired' };
  }
  return { ok: true, key: stored };
}

/** True when the key may open this deployment. */
export function keyAllows(key: StoredKey, deploymentId: string): boolean {
  return key.deploymentId === null || key.deploymentId === deploymentId;
}

export interface NewKeyRecord {
  /** Show once; never store or log. */
  key: string;
  row: StoredKey & { name: string | null; createdAt: number };
}

/** A fresh key and the row to insert into `api_keys` (for the API and in-memory stores). */
export function newKeyRecord(opts: { deploymentId?: string | null; expiresAt?: number | null; name?: string | null }, now = Date.now()): NewKeyRecord {
  const g = generateKey();
  return {
    key: g.key,
    row: {
      id: randomUUID(),
      prefix: g.prefix,
      hash: g.hash,
      deploymentId: opts.deploymentId ?? null,
      expiresAt: opts.expiresAt ?? null,
      revokedAt: null,
      name: opts.name ?? null,
      createdAt: now,
    },
  };
}
