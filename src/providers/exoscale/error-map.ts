/**
 * Exoscale answers → Aloft's typed provider errors. Two places fail: the HTTP answer
 * itself (status + `{ "message": … }`) and an async operation that ends in `failure`
 * (with `reason` and `message`). Capacity and quota are told apart by the message,
 * because Exoscale reports both with generic statuses/reasons.
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
import type { ExoOperation } from './wire.js';

const CAPACITY = /no (more )?capacity|insufficient (capacity|resources)|capacity|out of stock|no host available|not enough (resources|hosts?)/i;
const QUOTA = /quota|limit (reached|exceeded)|exceeds? (the )?(your )?(organization )?limit|too many (instances|resources)/i;

/** The human message of an error body, whatever its shape (Exoscale, or a mock's problem+json). */
export function errorMessage(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const k of ['message', 'detail', 'title', 'error']) if (typeof b[k] === 'string' && b[k]) return b[k] as string;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
  return fallback;
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export function mapHttpError(status: number, body: unknown, retryAfter?: string | null): ProviderError {
  const msg = errorMessage(body, `HTTP ${status}`);
  const text = `Exoscale API: ${msg} (HTTP ${status})`;
  const providerCode = String(status);
  // A 403 may also be a quota refusal; the signature/credential ones never mention quotas.
  if (status === 403 && QUOTA.test(msg)) return new QuotaError(text, { providerCode });
  if (status === 401 || status === 403) return new AuthError(text, { providerCode });
  if (status === 429) return new ThrottledError(text, { providerCode, retryAfterMs: parseRetryAfter(retryAfter) });
  if (status === 404) return new NotFoundError(text, { providerCode });
  if (CAPACITY.test(msg)) return new CapacityError(text, { providerCode });
  if (QUOTA.test(msg)) return new QuotaError(text, { providerCode });
  if (status >= 500 || status === 408 || status === 409) return new TransientError(text, { providerCode });
  return new InvalidRequestError(text, { providerCode });
}

export function mapOperationFailure(op: ExoOperation): ProviderError {
  const msg = op.message || op.reason || op.state;
  const text = `Exoscale operation ${op.id} ${op.state}: ${msg}`;
  const providerCode = op.reason ?? op.state;
  if (CAPACITY.test(msg)) return new CapacityError(text, { providerCode });
  if (QUOTA.test(msg)) return new QuotaError(text, { providerCode });
  switch (op.reason) {
    case 'not-found':
      return new NotFoundError(text, { providerCode });
    case 'forbidden':
      return new AuthError(text, { providerCode });
    case 'incorrect':
    case 'unsupported':
      return new InvalidRequestError(text, { providerCode });
    default:
      // busy, fault, interrupted, conflict, partial, unavailable, unknown, or a timed-out
      // operation. (Capacity is recognised by the message above, not by `unavailable`,
      // which Exoscale also uses for passing outages.)
      return new TransientError(text, { providerCode });
  }
}

/** fetch() rejected: timeout, reset, refused, DNS — all worth a retry. */
export function mapNetworkError(err: unknown, what: string, timedOut: boolean): ProviderError {
  if (timedOut) return new TransientError(`Exoscale API: ${what} timed out`, { providerCode: 'timeout', cause: err });
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  const detail = cause?.message ?? (err as Error)?.message ?? String(err);
  return new TransientError(`Exoscale API: ${what} failed: ${detail}`, { providerCode: code ?? 'network', cause: err });
}
