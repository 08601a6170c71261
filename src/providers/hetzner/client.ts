/**
 * A small Hetzner Cloud API v1 client: Bearer auth, a timeout on every call, typed
 * errors, pagination, and a bounded wait for actions.
 *
 * The token lives only in this closure: it is never logged, never part of an error
 * message, and not a property of the returned object (so printing the client or the
 * provider cannot leak it).
 */
import { TransientError } from '../errors.js';
import { mapHetznerError, mapNetworkError, type HetznerErrorBody } from './errors.js';
import type { HAction, HPagination } from './wire.js';

export const HETZNER_DEFAULT_ENDPOINT = 'https://api.hetzner.cloud/v1';

export interface HetznerClientOptions {
  token: string;
  /** Base URL; HCLOUD_ENDPOINT in the environment. */
  endpoint?: string;
  fetch?: typeof globalThis.fetch;
  /** Per-call timeout (default 30 s). */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export interface HetznerClient {
  readonly endpoint: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  /** DELETE; resolves to the parsed body (an action for servers) or undefined on 204. */
  del<T = unknown>(path: string): Promise<T | undefined>;
  /** Follows meta.pagination.next_page and concatenates `key` from each page. */
  listAll<T>(path: string, key: string, query?: Query): Promise<T[]>;
  /** Polls an action until it leaves `running`, at most `timeoutMs`; a failed action throws its mapped error. */
  waitAction(action: HAction | number, opts?: WaitOptions): Promise<HAction>;
  /** The RateLimit-* headers of the latest answer. */
  rateLimit(): RateLimitInfo;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createHetznerClient(opts: HetznerClientOptions): HetznerClient {
  const token = opts.token;
  const endpoint = (opts.endpoint ?? HETZNER_DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let rate: RateLimitInfo = {};

  async function call<T>(method: string, path: string, query?: Query, body?: unknown): Promise<{ data: T | undefined; status: number }> {
    const url = new URL(endpoint + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(v));
    }
    const what = `${method} ${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs);
    try {
      const res = await doFetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctl.signal,
      });
      const text = await res.text();
      const limit = res.headers.get('ratelimit-limit');
      const remaining = res.headers.get('ratelimit-remaining');
      if (limit !== null || remaining !== null) {
        rate = { limit: limit === null ? undefined : Number(limit), remaining: remaining === null ? undefined : Number(remaining) };
      }
      let parsed: unknown;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          // A proxy's HTML error page: only the status can speak.
          if (res.ok) throw new TransientError(`hetzner: ${what}: answer is not JSON`, { providerCode: 'bad_json' });
        }
      }
      if (!res.ok) throw mapHetznerError(res.status, parsed as HetznerErrorBody | undefined, res.headers, what);
      return { data: parsed as T | undefined, status: res.status };
    } catch (err) {
      throw mapNetworkError(err, what, timedOut);
    } finally {
      clearTimeout(timer);
    }
  }

  const client: HetznerClient = {
    endpoint,
    async get<T>(path: string, query?: Query) {
      return (await call<T>('GET', path, query)).data as T;
    },
    async post<T>(path: string, body?: unknown) {
      return (await call<T>('POST', path, undefined, body)).data as T;
    },
    async put<T>(path: string, body: unknown) {
      return (await call<T>('PUT', path, undefined, body)).data as T;
    },
    async del<T>(path: string) {
      return (await call<T>('DELETE', path)).data;
    },
    async listAll<T>(path: string, key: string, query: Query = {}) {
      const out: T[] = [];
      let page: number | null = 1;
      // A bound on pages keeps a misbehaving server from looping us forever.
      for (let n = 0; page !== null && n < 1000; n++) {
        const body: Record<string, unknown> = (await client.get<Record<string, unknown>>(path, { ...query, page, per_page: 50 })) ?? {};
        out.push(...((body[key] as T[] | undefined) ?? []));
        const p: HPagination | undefined = (body.meta as { pagination?: HPagination } | undefined)?.pagination;
        page = p?.next_page && p.next_page > page ? p.next_page : null;
      }
      return out;
    },
    async waitAction(action: HAction | number, w: WaitOptions = {}) {
      const id = typeof action === 'number' ? action : action.id;
      let current = typeof action === 'number' ? undefined : action;
      const deadline = Date.now() + (w.timeoutMs ?? 60_000);
      let interval = w.intervalMs ?? 500;
      for (;;) {
        if (current && current.status !== 'running') break;
        if (Date.now() >= deadline) {
          throw new TransientError(`hetzner: action ${id} (${current?.command ?? 'unknown'}) still running`, { providerCode: 'action_running' });
        }
        if (current) await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
        current = (await client.get<{ action: HAction }>(`/actions/${id}`)).action;
        interval = Math.min(interval * 1.5, 5_000);
      }
      if (current.status === 'error') {
        const e = current.error ?? { code: 'action_failed', message: 'action failed' };
        throw mapHetznerError(422, { error: e }, new Headers(), `action ${id} (${current.command})`);
      }
      return current;
    },
    rateLimit: () => ({ ...rate }),
  };
  return client;
}
