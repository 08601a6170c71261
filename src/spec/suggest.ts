/**
 * "Did you mean …?" for unknown keys and values.
 *
 * Distance is optimal string alignment (Damerau–Levenshtein with adjacent
 * transpositions), because the usual typo in a YAML key is a swapped pair
 * (`modle`) or one letter off (`gpus`). Before measuring, keys are folded to
 * lowercase without `_` and `-`, so `idleTimeout` and `idle-timeout` find
 * `idle_timeout` at distance 0.
 */

/** Optimal string alignment distance between a and b. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: two back (for transpositions), previous, current.
  let prev2: number[] = new Array(b.length + 1).fill(0);
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur: number[] = new Array(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length]!;
}

const fold = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The candidate nearest to `input`, or undefined when none is close enough.
 * Close enough: distance ≤ max(2, ⌊len/3⌋) and smaller than the input itself
 * (so "x" never suggests "ttl"). Ties go to the longer shared prefix, then to
 * the candidate listed first.
 */
export function nearest(input: string, candidates: readonly string[]): string | undefined {
  const f = fold(input);
  if (f.length === 0) return undefined;
  const limit = Math.max(2, Math.floor(f.length / 3));
  let best: { c: string; d: number; p: number } | undefined;
  for (const c of candidates) {
    if (c === input) continue;
    const fc = fold(c);
    const d = editDistance(f, fc);
    if (d > limit || d >= Math.max(f.length, 1)) continue;
    const p = commonPrefix(f, fc);
    if (!best || d < best.d || (d === best.d && p > best.p)) best = { c, d, p };
  }
  return best?.c;
}

/** `; did you mean "x"?` or an empty string — for appending to a message. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const s = nearest(input, candidates);
  return s === undefined ? '' : `; did you mean "${s}"?`;
}
