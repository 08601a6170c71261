/**
 * GPU names: the canonical spelling used in the catalog ("L4", "A10G", "RTXA5000"),
 * normalisation of what users and nvidia-smi write ("nvidia l4", "Tesla T4",
 * "NVIDIA A100-SXM4-80GB"), and the nearest known name for a typo.
 */

/** Every GPU name the planner knows, beyond those in the loaded catalog. */
export const KNOWN_GPUS = [
  'T4', 'L4', 'A10', 'A10G', 'L40', 'L40S', 'A40', 'A30', 'A100', 'H100', 'H200', 'B200', 'GH200',
  'V100', 'P100', 'P4', 'K80', 'A6000', 'RTXA5000', 'RTXA6000', 'RTX3080TI', 'RTX3090', 'RTX4090',
  'RTX6000', 'MI300X',
];

const normalized = new Map<string, string>();

/** Upper-case, without vendor words, spaces or dashes: "NVIDIA GeForce RTX 4090" → "RTX4090". Memoised: the planner asks per offer. */
export function normalizeGpuName(raw: string): string {
  let n = normalized.get(raw);
  if (n === undefined) {
    n = normalizeUncached(raw);
    if (normalized.size < 10_000) normalized.set(raw, n);
  }
  return n;
}

function normalizeUncached(raw: string): string {
  return raw
    .toUpperCase()
    .replace(/\b(NVIDIA|TESLA|GEFORCE|AMD|INSTINCT)\b/g, '')
    .replace(/[\s_-]+/g, '')
    .trim();
}

/** A device name as nvidia-smi prints it → the catalog's name (form factor and memory dropped). */
export function canonicalGpuName(raw: string): string {
  let n = normalizeGpuName(raw);
  // "A100SXM480GB", "H100PCIE", "H10080GBHBM3", "A10040GBPCIE" → the chip name.
  const m = /^(A100|H100|H200|V100|P100|A10G|A10|L40S|L40|A40|A30|L4|T4|B200|GH200)(?=$|SXM|PCIE|NVL|\d+GB)/.exec(n);
  if (m) n = m[1]!;
  return n;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest known name, or undefined when nothing is within reach. Deterministic on ties. */
export function nearestGpuName(name: string, known: Iterable<string>): string | undefined {
  const n = normalizeGpuName(name);
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of [...new Set(known)].sort()) {
    const d = levenshtein(n, normalizeGpuName(k));
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return bestD <= Math.max(2, Math.ceil(n.length / 2)) ? best : undefined;
}
