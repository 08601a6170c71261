/**
 * Hetzner Cloud errors → the provider contract's typed errors.
 *
 * Hetzner answers every failure with `{ "error": { "code", "message", "details" } }`;
 * the code, not the HTTP status, says what happened (resource_unavailable is a 412,
 * resource_limit_exceeded a 403 like forbidden). The status is only the fallback.
 */
import {
  AuthError,
  CapacityError,
  InvalidRequestError,
  NotFoundError,
  ProviderError,
  QuotaError,
  ThrottledError,
  TransientError,
} from '../errors.js';

export interface HetznerErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

const CAPACITY = new Set(['resource_unavailable', 'placement_error', 'no_space_left_in_location']);
const AUTH = new Set(['unauthorized', 'forbidden', 'token_readonly']);
// Retrying the same call later can succeed: the cloud is busy, locked or in maintenance.
const TRANSIENT = new Set(['server_error', 'service_error', 'unavailable', 'timeout', 'maintenance', 'locked', 'conflict', 'robot_unavailable', 'resource_in_use']);

/**
 * How long to wait after a 429. RateLimit-Reset is the Unix time (seconds) at which the
 * bucket is full again; Retry-After (seconds) is honoured too when a proxy adds it.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter && /^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000;
  const reset = headers.get('ratelimit-reset');
  if (reset && /^\d+$/.test(reset.trim())) {
    const n = Number(reset.trim());
    // Small numbers are delta-seconds (IETF draft style), large ones Unix timestamps.
    const ms = n < 1e9 ? n * 1000 : n * 1000 - now;
    return Math.max(0, ms);
  }
  return undefined;
}

/** Maps one failed HTTP answer to a typed error. `what` names the call, e.g. "POST /servers". */
export function mapHetznerError(status: number, body: HetznerErrorBody | undefined, headers: Headers, what: string): ProviderError {
  const code = body?.error?.code ?? `http_${status}`;
  const message = `hetzner: ${what}: ${body?.error?.message ?? `HTTP ${status}`} (${code})`;
  const opts = { providerCode: code };
  if (code === 'rate_limit_exceeded' || status === 429) return new ThrottledError(message, { ...opts, retryAfterMs: retryAfterMs(headers) });
  if (CAPACITY.has(code)) return new CapacityError(message, opts);
  if (code === 'resource_limit_exceeded') return new QuotaError(message, opts);
  if (AUTH.has(code) || status === 401) return new AuthError(message, opts);
  if (code === 'not_found' || status === 404) return new NotFoundError(message, opts);
  if (TRANSIENT.has(code) || status >= 500) return new TransientError(message, opts);
  return new InvalidRequestError(message, opts);
}

/** A network failure (reset, refused, timeout, aborted) is worth retrying. */
export function mapNetworkError(err: unknown, what: string, timedOut: boolean): ProviderError {
  if (err instanceof ProviderError) return err;
  const cause = (err as { cause?: { code?: string } })?.cause;
  const code = timedOut ? 'timeout' : (cause?.code ?? (err as { code?: string })?.code ?? 'network_error');
  const reason = timedOut ? 'timed out' : `connection failed (${code})`;
  return new TransientError(`hetzner: ${what}: ${reason}`, { providerCode: code, cause: err });
}
