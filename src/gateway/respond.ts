/** The gateway's one error shape: `{ "error": { "code", "message" } }`. */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** The same error on a raw socket, for refused WebSocket upgrades. */
export function sendSocketError(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rawError(status, code, message, headers, { close: true }));
}

/** The error as the bytes of a whole HTTP/1.1 answer, for raw sockets (upgrades, the fast lane). */
export function rawError(status: number, code: string, message: string, headers: Record<string, string> = {}, opts: { close?: boolean; head?: boolean } = {}): string {
  return rawAnswer(status, 'application/json; charset=utf-8', JSON.stringify({ error: { code, message } }), headers, opts);
}

/**
 * A whole HTTP/1.1 answer with a body as text; `close` adds `connection: close`, `head`
 * (the answer to a HEAD request) leaves the body out but keeps its length.
 */
export function rawAnswer(status: number, contentType: string, body: string, headers: Record<string, string> = {}, opts: { close?: boolean; head?: boolean } = {}): string {
  let out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\n`;
  if (opts.close) out += 'connection: close\r\n';
  for (const k in headers) out += `${k}: ${headers[k]}\r\n`;
  return out + '\r\n' + (opts.head ? '' : body);
}

export interface GatewayError {
  status: number;
  code: string;
  message: string;
}

/** What a client is told when its deployment's machine fails it, on either request path. */
export const UPSTREAM_ERRORS = {
  unreachable: { status: 502, code: 'upstream_error', message: 'Could not reach the deployment' },
  invalid: { status: 502, code: 'upstream_error', message: 'The deployment sent an invalid answer' },
  connectTimeout: { status: 504, code: 'upstream_timeout', message: 'Could not connect to the deployment in time' },
  answerTimeout: { status: 504, code: 'upstream_timeout', message: 'The deployment did not answer in time' },
} as const satisfies Record<string, GatewayError>;

export const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="aloft"' };

/** The page a browser gets while its deployment starts; it reloads itself. */
export function startingPage(name: string, retryAfterS: number): string {
  const n = name.replace(/[^a-z0-9-]/g, '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${retryAfterS}">
<title>${n} is starting</title>
<style>body{font:16px system-ui,sans-serif;margin:20vh auto;max-width:32em;text-align:center;color:#333}</style>
</head><body><h1>${n} is starting</h1><p>This page reloads itself every ${retryAfterS} seconds until it is ready.</p></body></html>
`;
}
