/**
 * Parses the `resources` strings of a spec into numbers the planner compares.
 *
 *  gpu:    `L4` (one L4), `L4:2` (at least two), `A100-80GB:8` or `A100:80GB:8` (80 GB each),
 *          `24GB+` (any GPU with at least 24 GB), `24GB+:2`, `any`, `any:4`, `none`.
 *          Counts are minimums: `L4:1` also fits a 4×L4 machine; the planner prefers fewer.
 *  cpus:   `4`, `4+`, 4 → at least 4 vCPUs.
 *  memory: `16`, `16GB`, `16GiB+`, 16 → at least 16 GiB.
 */
import type { Resources } from '../spec/schema.js';
import { normalizeGpuName } from './gpu-names.js';

export interface GpuRequirement {
  /** Normalised GPU name; undefined means any GPU. */
  name?: string;
  minCount: number;
  /** Minimum VRAM per GPU, GB. */
  minVramGb?: number;
  /** The spec's own words, for messages. */
  text: string;
}

export interface Requirements {
  /** null: no GPU asked for; `none` gives `gpuNone: true` (CPU-only offers only). */
  gpu: GpuRequirement | null;
  gpuNone: boolean;
  minVcpus?: number;
  minMemoryGb?: number;
  diskGb?: number;
  arch?: 'x86_64' | 'arm64';
}

export class RequirementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequirementError';
  }
}

const MEM = /^(\d+(?:\.\d+)?)\s*(GB|GIB|G)?\+?$/i;

export function parseGpu(text: string): GpuRequirement | 'none' {
  const t = text.trim();
  if (/^(none|0)$/i.test(t)) return 'none';
  const req: GpuRequirement = { minCount: 1, text: t };
  const parts = t.split(':').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new RequirementError(`gpu "${text}": empty part; write e.g. L4:1, A100:8, 24GB+ or any`);
  let sawName = false;
  let sawCount = false;
  for (const p of parts) {
    const mem = MEM.exec(p);
    if (mem && mem[2]) {
      req.minVramGb = Number(mem[1]);
    } else if (/^\d+\+?$/.test(p)) {
      if (sawCount) throw new RequirementError(`gpu "${text}": two counts`);
      sawCount = true;
      req.minCount = Number(p.replace('+', ''));
      if (req.minCount < 1) throw new RequirementError(`gpu "${text}": the count must be at least 1 (use none for no GPU)`);
    } else if (/^[a-z][a-z0-9 ._-]*$/i.test(p)) {
      if (sawName) throw new RequirementError(`gpu "${text}": two GPU names`);
      sawName = true;
      if (p.toLowerCase() === 'any') continue;
      // "A100-80GB" carries the memory in the name.
      const withMem = /^(.*?)[-_ ]?(\d+)GB$/i.exec(p);
      if (withMem && withMem[1]) {
        req.name = normalizeGpuName(withMem[1]);
        req.minVramGb = Number(withMem[2]);
      } else {
        req.name = normalizeGpuName(p);
      }
    } else {
      throw new RequirementError(`gpu "${text}": cannot read "${p}"; write e.g. L4:1, A100:8, 24GB+ or any`);
    }
  }
  return req;
}

/** `4`, `4+`, 4 → 4; for cpus. */
export function parseCount(v: number | string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : /^\d+(\.\d+)?\+?$/.test(v.trim()) ? Number(v.trim().replace('+', '')) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new RequirementError(`${what} "${v}": expected a number such as 4 or 4+`);
  return n;
}

/** `16`, `16GB+`, `16GiB` → 16 (GiB); for memory. */
export function parseMemory(v: number | string | undefined, what = 'memory'): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new RequirementError(`${what} ${v}: expected GiB such as 16 or "16GB+"`);
    return v;
  }
  const m = MEM.exec(v.trim());
  if (!m) throw new RequirementError(`${what} "${v}": expected GiB such as 16 or "16GB+"`);
  return Number(m[1]);
}

export function parseRequirements(r: Resources | undefined): Requirements {
  const out: Requirements = { gpu: null, gpuNone: false };
  if (!r) return out;
  if (r.gpu !== undefined) {
    const g = parseGpu(r.gpu);
    if (g === 'none') out.gpuNone = true;
    else out.gpu = g;
  }
  out.minVcpus = parseCount(r.cpus, 'cpus');
  out.minMemoryGb = parseMemory(r.memory);
  if (r.disk !== undefined) out.diskGb = r.disk;
  if (r.arch) out.arch = r.arch;
  return out;
}
