/**
 * A small signed-fetch client for Exoscale API v2: one base URL per zone, every request
 * signed (./signature.ts), a timeout per call, typed errors (./error-map.ts), and
 * polling of async operations with a bounded wait.
 */
import { TransientError, ThrottledError } from '../errors.js';
import { mapHttpError, mapNetworkError, mapOperationFailure } from './error-map.js';
import { authorizationHeader } from './signature.js';
import type { ExoOperation } from './wire.js';

export interface ExoscaleClientOptions {
  key: string;
  secret: string;
  zone: string;
  /** Replaces the whole base URL `https://api-<zone>.exoscale.com/v2`. */
  endpoint?: string;
  fetch?: typeof fetch;
  /** Per HTTP call. Default 30 s. */
  timeoutMs?: number;
  /** How long a signature stays valid. Default 600 s, as the reference clients. */
  signatureTtlSeconds?: number;
  /** First interval between operation polls; it doubles up to 5 s. Default 1 s. */
  operationPollMs?: number;
  /** Bounded wait for one async operation. Default 120 s. */
  operationTimeoutMs?: number;
  now?: () => number;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  /** JSON-serialised and signed exactly as sent. */
  body?: unknown;
}

export interface ExoscaleClient {
  readonly baseUrl: string;
  readonly zone: string;
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  /** Polls GET /operation/{id} until success; failure → typed error; still pending → TransientError. */
  waitOperation(op: ExoOperation, opts?: { timeoutMs?: number }): Promise<ExoOperation>;
  /** A mutating call: request, then wait for its operation. Returns the referenced resource id. */
  mutate(method: string, path: string, opts?: RequestOptions & { timeoutMs?: number }): Promise<string | undefined>;
}

export function defaultEndpoint(zone: string): string {
  return `https://api-${zone}.exoscale.com/v2`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createExoscaleClient(o: ExoscaleClientOptions): ExoscaleClient {
  const baseUrl = (o.endpoint ?? defaultEndpoint(o.zone)).replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const ttl = o.signatureTtlSeconds ?? 600;
  const now = o.now ?? Date.now;
  const pollMs = o.operationPollMs ?? 1000;
  const opTimeoutMs = o.operationTimeoutMs ?? 120_000;

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const query = url.search.startsWith('?') ? url.search.slice(1) : '';
    const expires = Math.floor(now() / 1000) + ttl;
    // Sign the path exactly as it goes on the wire (percent-encoding included).
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: authorizationHeader(o.key, o.secret, { method, path: url.pathname, query, body, expires }),
      'user-agent': 'aloft (exoscale provider)',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const what = `${method} ${path}`;
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, timeoutMs);
    try {
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, { method, headers, body, signal: ac.signal });
        text = await res.text();
      } catch (err) {
        throw mapNetworkError(err, what, timedOut);
      }
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (!res.ok) throw mapHttpError(res.status, parsed, res.headers.get('retry-after'));
      if (parsed === undefined || typeof parsed !== 'object') {
        throw new TransientError(`Exoscale API: ${what} answered ${res.status} without a JSON body`);
      }
      return parsed as T;
    } finally {
      clearTimeout(timer);
    }
  }

  async function waitOperation(op: ExoOperation, opts: { timeoutMs?: number } = {}): Promise<ExoOperation> {
    const deadline = now() + (opts.timeoutMs ?? opTimeoutMs);
    let current = op;
    let interval = pollMs;
    for (;;) {
      if (current.state === 'success') return current;
      if (current.state === 'failure' || current.state === 'timeout') throw mapOperationFailure(current);
      if (now() >= deadline) {
        throw new TransientError(`Exoscale operation ${op.id} still pending after ${opts.timeoutMs ?? opTimeoutMs} ms`, {
          providerCode: 'operation-pending',
        });
      }
      await sleep(Math.min(interval, Math.max(0, deadline - now())));
      interval = Math.min(interval * 2, 5000);
      try {
        current = await request<ExoOperation>('GET', `/operation/${encodeURIComponent(op.id)}`);
      } catch (err) {
        // One lost poll is not a failed operation: keep polling until the deadline.
        if (err instanceof ThrottledError) await sleep(Math.min(err.retryAfterMs ?? interval, Math.max(0, deadline - now())));
        else if (!(err instanceof TransientError)) throw err;
      }
    }
  }

  async function mutate(method: string, path: string, opts: RequestOptions & { timeoutMs?: number } = {}): Promise<string | undefined> {
    const op = await request<ExoOperation>(method, path, opts);
    const done = await waitOperation(op, { timeoutMs: opts.timeoutMs });
    return done.reference?.id ?? op.reference?.id;
  }

  return { baseUrl, zone: o.zone, request, waitOperation, mutate };
}
