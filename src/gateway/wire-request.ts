/**
 * The fast lane's request reader (lane.ts): the head of one HTTP/1.1 request, read from the
 * raw bytes the client sent. It accepts a deliberately narrow, strict subset, the requests
 * the gateway sees nearly always: HTTP/1.1, a common method, an origin-form target, a Host,
 * plain header lines, at most one Content-Length and no Transfer-Encoding, Upgrade or Expect.
 * Anything else (and anything malformed) returns null, and the lane hands the connection to
 * node:http, whose parser (llhttp) answers it, or refuses it with a 400, as before. So this
 * file never decides what an odd request means: no request-smuggling ambiguity is resolved
 * here, only declined.
 */

/** Headers a request may carry at most once in the lane (duplicates go to node:http). */
export interface RequestFields {
  host?: string;
  authorization?: string;
  'x-aloft-key'?: string;
  'x-ollama-key'?: string;
  accept?: string;
  connection?: string;
}

export interface RequestHead {
  method: string;
  /** Origin-form target as sent: `/path?query`. */
  url: string;
  /** Flat [name, value, …] as sent (names in their own case, values without surrounding OWS). */
  rawHeaders: string[];
  fields: RequestFields;
  /** 0 when the request has no body. */
  contentLength: number;
  /** False when the client sent `Connection: close`. */
  keepAlive: boolean;
  /** Bytes of the head, the final CRLF CRLF included. */
  headBytes: number;
}

/** Longest head the lane reads (node:http's default limit is 16 KiB too). */
export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADERS = 100;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** tchar (RFC 9110 §5.6.2) by char code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** field-value characters: VCHAR, obs-text, SP and HTAB; no CR, LF, NUL or other controls. */
export function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

/** origin-form: starts with `/`, visible ASCII only (a space or control char is malformed). */
function isOriginForm(s: string): boolean {
  if (s.charCodeAt(0) !== 47) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * Reads the head in buf[0, end) where `end` is the index of the CRLF CRLF that closes it.
 * Returns null when the request is not one the lane takes.
 */
export function parseRequestHead(buf: Buffer, end: number): RequestHead | null {
  const text = buf.toString('latin1', 0, end);
  // A bare CR or LF left inside a line fails the token, target or field-value checks below.
  const lines = text.split('\r\n');
  const first = lines[0]!;
  const sp1 = first.indexOf(' ');
  const sp2 = first.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 === -1 || first.indexOf(' ', sp2 + 1) !== -1) return null;
  const method = first.slice(0, sp1);
  const url = first.slice(sp1 + 1, sp2);
  // Other methods (CONNECT, WebDAV's, unknown ones) go to node:http, which knows which it takes.
  if (first.slice(sp2 + 1) !== 'HTTP/1.1' || !METHODS.has(method) || !isOriginForm(url)) return null;
  if (lines.length - 1 > MAX_HEADERS) return null;

  const rawHeaders: string[] = [];
  const fields: RequestFields = {};
  let contentLength = -1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    // No colon, an empty name, obs-fold (a line starting with SP/HTAB) or whitespace before
    // the colon all fail the token check.
    if (colon <= 0) return null;
    const name = line.slice(0, colon);
    if (!isToken(name)) return null;
    const value = trimOws(line.slice(colon + 1));
    if (!isFieldValue(value)) return null;
    const lc = name.length <= 20 ? name.toLowerCase() : '';
    switch (lc) {
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
      case 'http2-settings':
        return null;
      case 'content-length':
        if (contentLength !== -1 || !/^\d{1,15}$/.test(value)) return null;
        contentLength = Number(value);
        break;
      case 'connection': {
        if (fields.connection !== undefined) return null;
        // Only the two plain options; a token list naming other headers goes to node:http.
        const v = value.toLowerCase();
        if (v !== 'keep-alive' && v !== 'close') return null;
        fields.connection = v;
        break;
      }
      case 'host':
      case 'authorization':
      case 'x-aloft-key':
      case 'x-ollama-key':
      case 'accept':
        if (fields[lc as keyof RequestFields] !== undefined) return null;
        fields[lc as keyof RequestFields] = value;
        break;
    }
    rawHeaders.push(name, value);
  }
  // HTTP/1.1 requires Host (RFC 9112 §3.2); node:http refuses a request without it (400).
  if (fields.host === undefined) return null;
  return {
    method,
    url,
    rawHeaders,
    fields,
    contentLength: contentLength === -1 ? 0 : contentLength,
    keepAlive: fields.connection !== 'close',
    headBytes: end + 4,
  };
}

export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
