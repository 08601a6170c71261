/**
 * The few typed errors a provider may throw (DESIGN.md, "The provider contract").
 * They drive the engine's flow: CapacityError → try the next offer, AuthError → fail
 * fast, ThrottledError → back off (honouring retryAfterMs), TransientError → retry.
 * Anything else escaping a provider is a bug.
 */
export type ProviderErrorCode = 'capacity' | 'quota' | 'auth' | 'throttled' | 'not_found' | 'transient' | 'invalid';

export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  /** The cloud's own error code, e.g. InsufficientInstanceCapacity. */
  readonly providerCode?: string;
  constructor(code: ProviderErrorCode, message: string, opts: { providerCode?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.providerCode = opts.providerCode;
  }
  /** Whether the same call may succeed later without any change. */
  get retryable(): boolean {
    return this.code === 'throttled' || this.code === 'transient';
  }
}

export class CapacityError extends ProviderError {
  constructor(message: string, opts: { providerCode?: string; cause?: unknown } = {}) {
    super('capacity', message, opts);
  }
}
export class QuotaError extends ProviderError {
  constructor(message: string, opts: { providerCode?: string; cause?: unknown } = {}) {
    super('quota', message, opts);
  }
}
export class AuthError extends ProviderError {
  constructor(message: string, opts: { providerCode?: string; cause?: unknown } = {}) {
    super('auth', message, opts);
  }
}
export class ThrottledError extends ProviderError {
  readonly retryAfterMs?: number;
  constructor(message: string, opts: { providerCode?: string; cause?: unknown; retryAfterMs?: number } = {}) {
    super('throttled', message, opts);
    this.retryAfterMs = opts.retryAfterMs;
  }
}
export class NotFoundError extends ProviderError {
  constructor(message: string, opts: { providerCode?: string; cause?: unknown } = {}) {
    super('not_found', message, opts);
  }
}
export class TransientError extends ProviderError {
  constructor(message: string, opts: { providerCode?: string; cause?: unknown } = {}) {
    super('transient', message, opts);
  }
}
/** The request itself is wrong (bad image, bad user-data): no retry will help. */
export class InvalidRequestError extends ProviderError {
  constructor(message: string, opts: { providerCode?: string; cause?: unknown } = {}) {
    super('invalid', message, opts);
  }
}

export function isProviderError(err: unknown): err is ProviderError {
  return err instanceof ProviderError;
}
