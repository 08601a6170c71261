/** Shared pieces of the gateway server tests: a recording upstream, a gateway, a client. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { createMemoryBackend, type MemoryBackend } from '../src/gateway/memory-backend.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway/server.js';

/** The gateway's two request paths: suites that run on both loop over these. */
export const LANES = [
  { label: 'fast lane', fastLane: true },
  { label: 'node:http', fastLane: false },
] as const;

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

export interface Upstream {
  url: string;
  seen: Seen[];
  server: http.Server;
}

/** An upstream that records every request (headers and body) and answers via `handle`. */
export async function startUpstream(
  t: TestContext,
  handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void = (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, method: req.method, body }));
  },
  opts: { streamBody?: boolean } = {},
): Promise<Upstream> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const entry: Seen = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: '' };
    seen.push(entry);
    if (opts.streamBody) return handle(req, res, '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      entry.body = Buffer.concat(chunks).toString();
      handle(req, res, entry.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

export async function startGateway(
  t: TestContext,
  opts: Partial<GatewayOptions> = {},
  backend: MemoryBackend = createMemoryBackend(),
): Promise<{ gw: Gateway; url: string; backend: MemoryBackend }> {
  const gw = createGateway({ host: '127.0.0.1', port: 0, activityFlushMs: 60_000, wakePollMs: 20, ...opts, backend });
  const { url } = await gw.listen();
  t.after(() => gw.close());
  return { gw, url, backend };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with node:http (no client-side pooling surprises). */
export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function json(a: Answer): any {
  return JSON.parse(a.body);
}

/** Polls until `check` is true (no fixed sleeps). */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
