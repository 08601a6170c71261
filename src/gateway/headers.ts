/**
 * Header rewriting between client and machine. Hop-by-hop headers never cross the
 * proxy (RFC 9110 §7.6.1); the client's key headers are removed and the deployment's
 * upstream secret is added, so the machine sees Aloft's secret and never the user's key.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // undici refuses `expect`; node's server has already answered 100-continue.
  'expect',
  // undici sets host from the upstream origin.
  'host',
]);

export interface UpstreamHeaderOptions {
  secretHeader: string;
  secret: string | null;
  /** Keep `connection`/`upgrade` (WebSocket handshakes). */
  upgrade?: boolean;
  tls: boolean;
}

/**
 * Request headers for the machine as a flat [name, value, …] list (undici and
 * http.request both take it; duplicates keep their order).
 */
export function upstreamRequestHeaders(req: IncomingMessage, opts: UpstreamHeaderOptions): string[] {
  return forwardedHeaders(req.rawHeaders, { connection: req.headers.connection, host: req.headers.host, remoteAddress: req.socket.remoteAddress }, opts);
}

/** What upstreamRequestHeaders needs of a request, for callers without an IncomingMessage (the fast lane). */
export interface ForwardedFrom {
  connection?: string;
  host?: string;
  remoteAddress?: string;
}

export function forwardedHeaders(raw: string[], from: ForwardedFrom, opts: UpstreamHeaderOptions): string[] {
  const secretLc = opts.secretHeader.toLowerCase();
  const dropExtra = connectionTokens(from.connection);
  const out: string[] = [];
  let xff: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lc = name.toLowerCase();
    const value = raw[i + 1]!;
    if (HOP_BY_HOP.has(lc)) {
      if (opts.upgrade && (lc === 'connection' || lc === 'upgrade')) out.push(lc, value);
      continue;
    }
    if (lc === 'x-aloft-key' || lc === 'x-ollama-key' || lc === secretLc) continue;
    // Authorization carrying an Aloft key is the client's key; any other scheme belongs to the app.
    if (lc === 'authorization' && isAloftBearer(value)) continue;
    if (lc === 'x-forwarded-for') {
      xff = xff ? `${xff}, ${value}` : value;
      continue;
    }
    if (dropExtra && dropExtra.has(lc)) continue;
    out.push(name, value);
  }
  const ip = from.remoteAddress ?? '';
  out.push('x-forwarded-for', xff ? `${xff}, ${ip}` : ip);
  out.push('x-forwarded-proto', opts.tls ? 'https' : 'http');
  if (from.host) out.push('x-forwarded-host', from.host);
  if (opts.secret !== null) out.push(opts.secretHeader, opts.secret);
  return out;
}

function isAloftBearer(value: string): boolean {
  return /^\s*bearer\s+aloft_/i.test(value);
}

/** Extra hop-by-hop names listed in `Connection: a, b`. */
function connectionTokens(c: string | undefined): Set<string> | null {
  if (!c) return null;
  // Nearly every client sends just `keep-alive` (or `close`): no list to build.
  const lc = c.length <= 10 ? c.toLowerCase() : '';
  if (lc === 'keep-alive' || lc === 'close') return null;
  const set = new Set<string>();
  for (const t of c.split(',')) {
    const v = t.trim().toLowerCase();
    if (v && v !== 'keep-alive' && v !== 'close' && v !== 'upgrade') set.add(v);
  }
  return set.size ? set : null;
}

/**
 * Hop-by-hop response headers that never reach the client, given in lowercase. The framing
 * headers (transfer-encoding, trailer) are not here: node:http re-frames the body itself
 * (clientResponseHeaders drops them), while the fast lane passes the body's bytes as they are.
 */
export function isHopByHopResponseHeader(lc: string): boolean {
  return lc === 'connection' || lc === 'keep-alive' || lc === 'upgrade' || lc.startsWith('proxy-');
}

/** Response headers for the client, without hop-by-hop ones. */
export function clientResponseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const k in headers) {
    if (k === 'transfer-encoding' || k === 'trailer' || isHopByHopResponseHeader(k)) continue;
    out[k] = headers[k];
  }
  return out;
}

export function acceptsHtml(req: IncomingMessage): boolean {
  const a = req.headers.accept;
  return typeof a === 'string' && acceptsHtmlValue(a);
}

export function acceptsHtmlValue(accept: string): boolean {
  return accept.includes('text/html');
}
