/**
 * A local Exoscale API v2 double: a stateful node:http server on 127.0.0.1:0 serving
 * /v2/…, that recomputes every request's EXO2-HMAC-SHA256 signature (wrong or expired
 * → 403 with Exoscale's `{ "message": … }` body), answers mutations with async
 * operations that complete over time, moves instances through their states, and
 * injects faults on demand.
 *
 *   const d = await startExoscaleDouble({ key, secret });
 *   d.fault({ kind: 'throttle', times: 2, retryAfterSeconds: 1 });
 *   createExoscaleProvider({ key, secret, zone: d.zone, endpoint: d.url });
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyRequest } from '../../src/providers/exoscale/signature.js';
import { DoubleState, type Json } from './exoscale-double-state.js';
import { HttpError, ROUTES } from './exoscale-double-routes.js';

/**
 * latency: delay the answer; throttle: 429 + Retry-After; error500: 500; drop: close the
 * connection before handling; drop-after: handle the request, then close without an
 * answer (the change happened, the client cannot know); capacity: POST /instance's
 * operation fails for lack of capacity; quota: POST /instance refused for quota.
 */
export type FaultKind = 'latency' | 'throttle' | 'error500' | 'drop' | 'drop-after' | 'capacity' | 'quota';

export interface Fault {
  kind: FaultKind;
  /** How many matching requests it hits (default 1). Infinity: until cleared. */
  times?: number;
  /** Only requests with this method / whose /v2-relative path matches. */
  method?: string;
  path?: RegExp;
  /** latency: delay in ms. */
  ms?: number;
  /** throttle: Retry-After seconds. */
  retryAfterSeconds?: number;
}

export interface ExoscaleDoubleOptions {
  key: string;
  secret: string;
  zone?: string;
  /** How long an async operation stays pending. Default 30 ms. */
  opDelayMs?: number;
  /** How long starting/stopping take. Default 60 ms. */
  bootMs?: number;
  /** Public IPs handed to new instances (default: TEST-NET-2 addresses). */
  publicIp?: () => string;
  /** Path prefix the API is served under (default /v2, as the real API). */
  basePath?: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  /** The error message answered, when not 2xx. */
  message?: string;
}

export interface ExoscaleDouble {
  /** Base URL to pass as the provider's endpoint (ends in the base path, /v2). */
  url: string;
  zone: string;
  state: DoubleState;
  requests: RequestRecord[];
  fault(f: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startExoscaleDouble(o: ExoscaleDoubleOptions): Promise<ExoscaleDouble> {
  const zone = o.zone ?? 'ch-gva-2';
  const state = new DoubleState(zone, o.opDelayMs ?? 30, o.bootMs ?? 60, o.publicIp);
  const faults: (Fault & { left: number })[] = [];
  const requests: RequestRecord[] = [];
  const base = o.basePath ?? '/v2';

  function take(kinds: FaultKind[], method: string, path: string): (Fault & { left: number }) | undefined {
    const f = faults.find((x) => kinds.includes(x.kind) && x.left > 0 && (!x.method || x.method === method) && (!x.path || x.path.test(path)));
    if (f) f.left--;
    return f;
  }

  function send(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const method = req.method ?? 'GET';
    const inBase = url.pathname.startsWith(`${base}/`);
    const path = inBase ? url.pathname.slice(base.length) : url.pathname;
    const record = (status: number, message?: string) => requests.push({ method, path, status, ...(message ? { message } : {}) });

    const slow = take(['latency'], method, path);
    if (slow) await sleep(slow.ms ?? 1000);
    if (take(['drop'], method, path)) {
      record(0);
      req.socket.destroy();
      return;
    }
    const throttle = take(['throttle'], method, path);
    if (throttle) {
      record(429);
      return send(res, 429, { message: 'Too Many Requests' }, { 'retry-after': String(throttle.retryAfterSeconds ?? 1) });
    }
    if (take(['error500'], method, path)) {
      record(500);
      return send(res, 500, { message: 'Internal server error' });
    }
    const query = url.search.startsWith('?') ? url.search.slice(1) : '';
    const auth = verifyRequest(req.headers.authorization, { method, path: url.pathname, query, body: raw }, (k) => (k === o.key ? o.secret : undefined));
    if (!auth.ok) {
      record(403, auth.reason);
      return send(res, 403, { message: auth.reason });
    }
    if (!inBase) {
      record(404);
      return send(res, 404, { message: 'Not found' });
    }
    let body: Json = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Json;
      } catch {
        record(400);
        return send(res, 400, { message: 'malformed JSON body' });
      }
    }
    state.tick();
    const routeable = ROUTES.filter(([, re]) => re.test(path));
    const route = routeable.find(([m]) => m === method);
    if (!route) {
      const status = routeable.length ? 405 : 404;
      record(status);
      return send(res, status, { message: status === 405 ? 'Method not allowed' : 'Not found' });
    }
    const params = (route[1].exec(path) ?? []).slice(1);
    try {
      const out = route[2]({ s: state, params, body, query: url.searchParams, takeFault: (kind) => !!take([kind], method, path) });
      record(200);
      if (take(['drop-after'], method, path)) req.socket.destroy();
      else send(res, 200, out);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      record(status, message);
      send(res, status, { message });
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err) => {
        if (!res.headersSent) send(res, 500, { message: String(err) });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    zone,
    state,
    requests,
    fault: (f) => faults.push({ ...f, left: f.times ?? 1 }),
    clearFaults: () => void faults.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
