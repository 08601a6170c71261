/**
 * Reading the resource strings of a spec: `gpu: L4:1 | A100:8 | 24GB+ | any`,
 * `cpus: 4+`, `memory: 16GB+`. The schema checks their shape; these turn them
 * into numbers the optimizer compares, and explain what is wrong when they
 * cannot.
 */

export interface GpuRequirement {
  /** GPU model, upper-cased as the catalogs spell it (L4, A100, H100, A10G). */
  name?: string;
  /** GPUs per machine. */
  count: number;
  /** Minimum memory per GPU, in GB. */
  minVramGb?: number;
  /** Any GPU will do. */
  any?: boolean;
}

export class RequirementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequirementError';
  }
}

const GPU_FORMS = 'expected NAME:COUNT (L4:1, A100:8), minimum memory per GPU (24GB+, 24GB+:2) or any (any, any:2)';
const NAME = /^[A-Za-z][A-Za-z0-9._-]*$/;
const VRAM = /^(\d+(?:\.\d+)?)\s*(GB|GiB|G)\+?$/i;
const COUNT = /^\d+$/;
/** No cloud sells more than 16 GPUs in one machine; a bigger count is a typo. */
const MAX_GPUS = 16;

/**
 * `L4:1` → { name: 'L4', count: 1 }; `L4` → count 1; `24GB+` → { count: 1, minVramGb: 24 };
 * `any` → { any: true, count: 1 }. Throws RequirementError with a one-line reason.
 */
export function parseGpuRequirement(input: string): GpuRequirement {
  if (typeof input !== 'string') throw new RequirementError(`invalid gpu: ${GPU_FORMS}`);
  const text = input.trim();
  if (text === '') throw new RequirementError(`invalid gpu "": ${GPU_FORMS}`);
  const parts = text.split(':');
  if (parts.length > 2) throw new RequirementError(`invalid gpu "${input}": too many ":"; ${GPU_FORMS}`);
  const [what, countText] = [parts[0]!.trim(), parts[1]?.trim()];
  let count = 1;
  if (countText !== undefined) {
    if (!COUNT.test(countText)) {
      throw new RequirementError(`invalid gpu "${input}": count "${countText}" must be a whole number from 1 to ${MAX_GPUS}`);
    }
    count = Number(countText);
    if (count < 1 || count > MAX_GPUS) {
      throw new RequirementError(`invalid gpu "${input}": count must be from 1 to ${MAX_GPUS}, got ${count}`);
    }
  }
  if (what.toLowerCase() === 'any') return { any: true, count };
  const vram = VRAM.exec(what);
  if (vram) {
    const minVramGb = Number(vram[1]);
    if (minVramGb <= 0) throw new RequirementError(`invalid gpu "${input}": GPU memory must be more than 0 GB`);
    return { count, minVramGb };
  }
  if (/^\d/.test(what)) {
    throw new RequirementError(`invalid gpu "${input}": a memory size needs a unit, e.g. ${what.replace(/\+$/, '')}GB+; ${GPU_FORMS}`);
  }
  if (!NAME.test(what)) throw new RequirementError(`invalid gpu "${input}": ${GPU_FORMS}`);
  return { name: what.toUpperCase(), count };
}

const MIN_NUMBER = /^(\d+(?:\.\d+)?)\s*(GB|GiB|G)?\+?$/i;

/**
 * `4+` | `4` | `16GB+` | `16 GiB` → { min }. A bare number is read as a
 * minimum too: asking for 4 CPUs and getting 8 is never wrong, only dearer,
 * and the optimizer picks the cheapest anyway. GB and GiB are not told apart
 * (catalogs list memory in GiB and call it GB).
 */
export function parseMinNumber(input: string | number): { min: number } {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new RequirementError(`invalid amount ${input}: expected a number ≥ 0`);
    return { min: input };
  }
  const m = typeof input === 'string' ? MIN_NUMBER.exec(input.trim()) : null;
  if (!m) throw new RequirementError(`invalid amount "${String(input)}": expected a number such as 4, "4+" or "16GB+"`);
  return { min: Number(m[1]) };
}
