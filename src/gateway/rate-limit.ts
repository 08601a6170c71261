/**
 * Per-key token bucket: `burst` tokens, refilled at `perSecond`. A request takes one
 * token; without one it gets 429 and Retry-After (seconds until a token is back).
 */

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimiter {
  /** 0 when allowed; otherwise the seconds to wait (≥ 1). */
  take(keyId: string, now?: number): number;
  size(): number;
}

export function createRateLimiter(opts: RateLimitOptions): RateLimiter {
  if (!(opts.perSecond > 0) || !(opts.burst >= 1)) throw new Error('rate limit needs perSecond > 0 and burst >= 1');
  const buckets = new Map<string, Bucket>();
  let lastSweep = 0;
  const fullAfterMs = (opts.burst / opts.perSecond) * 1000;

  function sweep(now: number): void {
    // A bucket that has refilled completely is the same as no bucket: drop it.
    lastSweep = now;
    for (const [id, b] of buckets) if (now - b.at >= fullAfterMs) buckets.delete(id);
  }

  return {
    take(keyId, now = Date.now()) {
      if (now - lastSweep > 60_000) sweep(now);
      let b = buckets.get(keyId);
      if (!b) {
        b = { tokens: opts.burst, at: now };
        buckets.set(keyId, b);
      } else {
        b.tokens = Math.min(opts.burst, b.tokens + ((now - b.at) / 1000) * opts.perSecond);
        b.at = now;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond));
    },
    size: () => buckets.size,
  };
}
