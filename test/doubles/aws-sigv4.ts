/**
 * Server-side SigV4 verification for the AWS doubles: recompute the signature of a received
 * request with the known secret (the same @smithy/signature-v4 the SDK signs with) and compare.
 * A wrong secret, an unknown key id or a tampered body fails exactly as AWS would (AuthFailure).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { Sha256 } from '@aws-crypto/sha256-js';

export interface SigV4Key {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type SigV4Result =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | { ok: false; message: string };

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** Parses "20261122T035155Z" into a Date. */
function amzDate(v: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return null;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

export async function verifySigV4(
  req: { method: string; url: string; headers: IncomingHttpHeaders },
  body: Buffer,
  keys: SigV4Key[],
  maxSkewMs = 15 * 60_000,
): Promise<SigV4Result> {
  const auth = String(req.headers.authorization ?? '');
  const m = AUTH_RE.exec(auth);
  if (!m) return { ok: false, message: 'AWS was not able to validate the provided access credentials (missing or malformed Authorization)' };
  const [, accessKeyId, day, region, service, signedHeaderList, signature] = m as unknown as string[];
  const key = keys.find((k) => k.accessKeyId === accessKeyId);
  if (!key) return { ok: false, message: 'AWS was not able to validate the provided access credentials' };
  const date = amzDate(String(req.headers['x-amz-date'] ?? ''));
  if (!date || date.toISOString().slice(0, 10).replaceAll('-', '') !== day) {
    return { ok: false, message: 'X-Amz-Date is missing or does not match the credential scope' };
  }
  if (Math.abs(Date.now() - date.getTime()) > maxSkewMs) return { ok: false, message: 'Request has expired' };
  if (key.sessionToken && req.headers['x-amz-security-token'] !== key.sessionToken) {
    return { ok: false, message: 'The security token included in the request is invalid' };
  }

  const signedNames = signedHeaderList!.split(';');
  if (!signedNames.includes('host')) return { ok: false, message: 'host must be a signed header' };
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const v = req.headers[name];
    if (v === undefined) return { ok: false, message: `signed header ${name} is missing` };
    headers[name] = Array.isArray(v) ? v.join(',') : v;
  }
  const url = new URL(req.url, 'http://placeholder');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const [hostname, port] = headers.host!.split(':');
  const request = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname,
    port: port ? Number(port) : undefined,
    path: url.pathname,
    query,
    headers,
    body: body.toString('utf8'),
  });
  // The signer signs every header it is given; we give it exactly the ones the client signed.
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken },
    region: region!,
    service: service!,
    sha256: Sha256,
  });
  // If the client sent x-amz-content-sha256, make sure it really is the hash of the body.
  if (headers['x-amz-content-sha256'] !== undefined) {
    const h = new Sha256();
    h.update(body);
    const hex = Buffer.from(await h.digest()).toString('hex');
    if (hex !== headers['x-amz-content-sha256']) return { ok: false, message: 'x-amz-content-sha256 does not match the payload' };
  }
  const signed = await signer.sign(request, { signingDate: date, signableHeaders: new Set(signedNames) });
  const expected = AUTH_RE.exec(String(signed.headers.authorization ?? signed.headers.Authorization ?? ''))?.[6] ?? '';
  const a = Buffer.from(expected);
  const b = Buffer.from(signature!);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    return { ok: false, message: 'The request signature we calculated does not match the signature you provided' };
  }
  return { ok: true, accessKeyId: accessKeyId!, region: region!, service: service! };
}
