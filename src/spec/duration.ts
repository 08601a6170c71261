/**
 * Durations in a spec: "30s", "15m", "4h", "7d", "250ms", "1h30m", or a plain
 * number of seconds (YAML `ttl: 3600`). Everything inside Aloft is milliseconds.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

// One "<number><unit>" part; a duration is one or more parts ("1h30m").
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/**
 * Milliseconds from a duration. Numbers (and strings holding only a number)
 * are seconds, the way a YAML `ttl: 3600` reads. Throws DurationError with a
 * one-line message that says what is accepted.
 */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new DurationError(`invalid duration ${v}: expected a number of seconds ≥ 0`);
    return Math.round(v * 1000);
  }
  if (typeof v !== 'string') throw new DurationError(`invalid duration: expected a string such as 15m or a number of seconds`);
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  if (!WHOLE.test(s)) {
    throw new DurationError(`invalid duration "${v}": expected a number and a unit (ms, s, m, h, d), e.g. 30s, 15m, 4h, 7d, 1h30m`);
  }
  let total = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(s); m; m = PART.exec(s)) total += Number(m[1]) * UNIT_MS[m[2] as Unit];
  return Math.round(total);
}

/**
 * The shortest exact spelling that parseDuration reads back: 900000 → "15m",
 * 5400000 → "1h30m", 250 → "250ms", 0 → "0s". Sub-millisecond parts are rounded.
 */
export function formatDurationShort(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  let rest = Math.round(Math.abs(ms));
  const sign = ms < 0 ? '-' : '';
  if (rest === 0) return '0s';
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return sign + out;
}
