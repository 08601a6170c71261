/**
 * Exoscale API v2 request signature (EXO2-HMAC-SHA256), as documented in the "API Request
 * Signature" topic of Exoscale's OpenAPI description and implemented by egoscale and
 * requests-exoscale-auth.
 *
 * The message is five lines joined by "\n":
 *   1. `<METHOD> <path>` (path only, e.g. `/v2/instance/…`, no query string)
 *   2. the request body (empty line when none)
 *   3. the values of the signed query arguments, concatenated without separator, in
 *      the order of their names sorted alphabetically (names go to `signed-query-args=`)
 *   4. signed header values (none today: an empty line)
 *   5. the expiry, a UNIX timestamp in seconds
 * signature = base64(HMAC-SHA256(secret, message)), and the header is
 *   `EXO2-HMAC-SHA256 credential=<key>[,signed-query-args=a;b],expires=<ts>,signature=<sig>`.
 *
 * Pure functions: the server double uses the same parser/verifier to check requests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_SCHEME = 'EXO2-HMAC-SHA256';

export interface SignInput {
  method: string;
  /** Path as sent, starting with /v2 (or whatever the base path is). */
  path: string;
  /** Raw query string without `?` (may be empty). */
  query?: string;
  body?: string;
  /** UNIX seconds. */
  expires: number;
}

/**
 * The signed query arguments: names sorted, one value each. Like the reference
 * implementations, a name given more than once is listed but contributes no value
 * (Exoscale's API takes no repeated arguments on the paths Aloft uses).
 */
export function signedQueryArgs(query: string | undefined): { names: string[]; values: string } {
  const params = new URLSearchParams(query ?? '');
  const byName = new Map<string, string[]>();
  for (const [k, v] of params) byName.set(k, [...(byName.get(k) ?? []), v]);
  const names = [...byName.keys()].sort();
  const values = names.map((n) => (byName.get(n)!.length === 1 ? byName.get(n)![0] : '')).join('');
  return { names, values };
}

export function signatureMessage(input: SignInput): string {
  const { values } = signedQueryArgs(input.query);
  return [`${input.method.toUpperCase()} ${input.path}`, input.body ?? '', values, '', String(input.expires)].join('\n');
}

export function computeSignature(secret: string, input: SignInput): string {
  return createHmac('sha256', secret).update(signatureMessage(input), 'utf8').digest('base64');
}

/** The value of the Authorization header for one request. */
export function authorizationHeader(key: string, secret: string, input: SignInput): string {
  const { names } = signedQueryArgs(input.query);
  const parts = [`credential=${key}`];
  if (names.length > 0) parts.push(`signed-query-args=${names.join(';')}`);
  parts.push(`expires=${input.expires}`, `signature=${computeSignature(secret, input)}`);
  return `${SIGNATURE_SCHEME} ${parts.join(',')}`;
}

export interface ParsedAuthorization {
  credential: string;
  signedQueryArgs: string[];
  expires: number;
  signature: string;
}

/** Parses an EXO2-HMAC-SHA256 Authorization header; null when malformed. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (!header || !header.startsWith(`${SIGNATURE_SCHEME} `)) return null;
  const fields = new Map<string, string>();
  for (const part of header.slice(SIGNATURE_SCHEME.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    // The signature is base64 and may itself end with '=': split on the first one only.
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('credential');
  const expires = Number(fields.get('expires'));
  const signature = fields.get('signature');
  if (!credential || !signature || !Number.isInteger(expires)) return null;
  const args = fields.get('signed-query-args');
  return { credential, signature, expires, signedQueryArgs: args ? args.split(';') : [] };
}

export type VerifyResult = { ok: true; key: string } | { ok: false; reason: string };

/**
 * Server-side check, as the API does it: known key, not expired, the signed argument
 * names match the query, and the recomputed signature is equal.
 */
export function verifyRequest(
  header: string | undefined,
  req: { method: string; path: string; query?: string; body?: string },
  secretFor: (key: string) => string | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): VerifyResult {
  const parsed = parseAuthorization(header);
  if (!parsed) return { ok: false, reason: 'missing or malformed authorization header' };
  const secret = secretFor(parsed.credential);
  if (secret === undefined) return { ok: false, reason: 'invalid API key' };
  if (parsed.expires < nowSeconds) return { ok: false, reason: 'request expired' };
  const { names } = signedQueryArgs(req.query);
  if (names.join(';') !== parsed.signedQueryArgs.join(';')) return { ok: false, reason: 'signed query arguments mismatch' };
  const expected = Buffer.from(computeSignature(secret, { ...req, expires: parsed.expires }));
  const given = Buffer.from(parsed.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid request signature' };
  return { ok: true, key: parsed.credential };
}
