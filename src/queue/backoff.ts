/**
 * Exponential backoff with full jitter (AWS architecture blog's "full jitter"):
 * delay = random(0, min(cap, base · 2^(attempt-1))), never below `floor`.
 */
export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  floorMs?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const cap = opts.capMs ?? 60_000;
  const floor = opts.floorMs ?? Math.min(base, 250);
  const random = opts.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.max(floor, Math.round(random() * ceiling));
}
