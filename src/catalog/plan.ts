/**
 * The optimizer: which offers fit a spec, cheapest first, and why the others do not.
 *
 * Each offer goes through the checks below in order and is excluded by the first one
 * it fails, with a reason a person can read. The check that excluded the last
 * survivors is the one that "emptied the plan"; PlanError names it.
 *
 * Order: hourly price (spot or on-demand, plus disk), then fewer GPUs, then the
 * position of the first matching pattern in placement.regions, then provider, region
 * and instance type names — so the same input always gives the same plan.
 *
 * Kind ollama: the model's VRAM need (models.ts) must fit in count × VRAM of a GPU
 * offer; when the spec names no GPU, a CPU-only offer is acceptable for a small model
 * (need ≤ CPU_ONLY_MAX_GB) whose memory holds it.
 */
import type { Spec, Placement } from '../spec/schema.js';
import type { ExcludedOffer, Offer, Plan, PlannedOffer } from './types.js';
import { parseRequirements, RequirementError, type Requirements } from './requirements.js';
import { KNOWN_GPUS, nearestGpuName, normalizeGpuName } from './gpu-names.js';
import { sizeModel, ModelSizeError } from './models.js';
import { loadOffers } from './load.js';
import { localOffers } from './local-offers.js';
import { HOURS_PER_MONTH } from './cost.js';

export { HOURS_PER_MONTH };

export const DEFAULT_DISK_GB = 30;
/** Largest model (GB needed) that may run on CPU only when the spec names no GPU. */
export const CPU_ONLY_MAX_GB = 8;

export class PlanError extends Error {
  /** The spec key that emptied the plan or was wrong: resources.gpu, placement.regions, model, ... */
  readonly constraint: string;
  readonly plan?: Plan;
  constructor(message: string, constraint: string, plan?: Plan) {
    super(message);
    this.name = 'PlanError';
    this.constraint = constraint;
    this.plan = plan;
  }
}

/** What the planner needs, independent of where it came from (a spec, or `aloft offers` flags). */
export interface PlanInput {
  req: Requirements;
  placement?: Placement;
  /** Providers Aloft is configured for; others are excluded. */
  enabledProviders?: string[];
  /** Kind ollama: GB of VRAM the model needs, and its tag for messages. */
  vramNeedGb?: number;
  model?: string;
  diskGb?: number;
}

export interface PlanOptions {
  /** Offers to plan against; default: the catalog files plus this host. */
  offers?: Offer[];
  /** Providers Aloft is configured for. */
  providers?: string[];
}

const fmtGb = (n: number) => `${Math.round(n * 10) / 10} GB`;
const fmtUsd = (n: number) => `$${n < 10 ? n.toFixed(4).replace(/0{1,2}$/, '') : n.toFixed(2)}`;

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

type Check = { constraint: string; test: (o: Offer) => string | null };

function buildChecks(input: PlanInput): Check[] {
  const { req, placement: pl = {} } = input;
  const checks: Check[] = [];
  if (input.enabledProviders) {
    const en = new Set(input.enabledProviders);
    checks.push({ constraint: 'providers', test: (o) => (en.has(o.provider) ? null : `provider ${o.provider} is not configured`) });
  }
  if (pl.providers) {
    const want = new Set(pl.providers);
    checks.push({ constraint: 'placement.providers', test: (o) => (want.has(o.provider) ? null : `provider ${o.provider} not in placement.providers`) });
  }
  if (pl.regions) {
    const res = pl.regions.map(globToRegExp);
    checks.push({ constraint: 'placement.regions', test: (o) => (res.some((r) => r.test(o.region)) ? null : `region ${o.region} not in ${pl.regions!.join(',')}`) });
  }
  if (req.arch) {
    checks.push({ constraint: 'resources.arch', test: (o) => (o.arch === req.arch ? null : `arch ${o.arch}, ${req.arch} required`) });
  }
  if (req.gpuNone) {
    checks.push({ constraint: 'resources.gpu', test: (o) => (o.gpu ? `has ${o.gpu.count}×${o.gpu.name}; resources.gpu is none` : null) });
  }
  const g = req.gpu;
  if (g) {
    checks.push({
      constraint: 'resources.gpu',
      test: (o) => {
        if (!o.gpu) return `no GPU, ${g.text} required`;
        if (g.name && normalizeGpuName(o.gpu.name) !== g.name) return `GPU ${o.gpu.name}, ${g.text} required`;
        if (o.gpu.count < g.minCount) return `${o.gpu.count}×${o.gpu.name} < ${g.minCount} GPUs required`;
        if (g.minVramGb !== undefined && o.gpu.vramGb < g.minVramGb) return `vram ${fmtGb(o.gpu.vramGb)} < ${fmtGb(g.minVramGb)} per GPU required`;
        return null;
      },
    });
  }
  const need = input.vramNeedGb;
  if (need !== undefined) {
    const who = input.model ?? 'the model';
    checks.push({
      constraint: 'model',
      test: (o) => {
        if (o.gpu) {
          const total = o.gpu.count * o.gpu.vramGb;
          if (total >= need) return null;
          const have = o.gpu.count > 1 ? `${o.gpu.count}×${o.gpu.vramGb} = ${fmtGb(total)}` : fmtGb(total);
          return `vram ${have} < ${fmtGb(need)} needed by ${who}`;
        }
        if (g) return null; // already excluded by resources.gpu
        if (need > CPU_ONLY_MAX_GB) return `no GPU; ${who} needs ${fmtGb(need)} (CPU-only up to ${CPU_ONLY_MAX_GB} GB)`;
        if (o.memoryGb < need) return `memory ${fmtGb(o.memoryGb)} < ${fmtGb(need)} needed by ${who} on CPU`;
        return null;
      },
    });
  }
  if (req.minVcpus !== undefined) {
    const n = req.minVcpus;
    checks.push({ constraint: 'resources.cpus', test: (o) => (o.vcpus >= n ? null : `${o.vcpus} vCPUs < ${n} required`) });
  }
  if (req.minMemoryGb !== undefined) {
    const n = req.minMemoryGb;
    checks.push({ constraint: 'resources.memory', test: (o) => (o.memoryGb >= n ? null : `memory ${fmtGb(o.memoryGb)} < ${fmtGb(n)} required`) });
  }
  if (pl.spot) {
    checks.push({ constraint: 'placement.spot', test: (o) => (o.spotPricePerHour == null ? `no spot market for ${o.instanceType}` : null) });
  }
  if (pl.max_hourly_usd !== undefined) {
    const cap = pl.max_hourly_usd;
    const spot = !!pl.spot;
    checks.push({
      constraint: 'placement.max_hourly_usd',
      test: (o) => {
        const p = spot ? o.spotPricePerHour! : o.pricePerHour;
        return p <= cap ? null : `${fmtUsd(p)}/h > max ${fmtUsd(cap)}/h`;
      },
    });
  }
  return checks;
}

/** GPU names known for an offer list (the catalog's plus KNOWN_GPUS), normalised → spelling; cached per list. */
const knownCache = new WeakMap<Offer[], Map<string, string>>();
function knownGpus(offers: Offer[]): Map<string, string> {
  let m = knownCache.get(offers);
  if (!m) {
    m = new Map();
    for (const k of KNOWN_GPUS) m.set(normalizeGpuName(k), k);
    for (const o of offers) if (o.gpu && !m.has(normalizeGpuName(o.gpu.name))) m.set(normalizeGpuName(o.gpu.name), o.gpu.name);
    knownCache.set(offers, m);
  }
  return m;
}

function unknownGpu(req: Requirements, offers: Offer[]): PlanError | undefined {
  const name = req.gpu?.name;
  if (!name) return undefined;
  const known = knownGpus(offers);
  if (known.has(name)) return undefined;
  const near = nearestGpuName(name, known.values());
  return new PlanError(`unknown GPU "${req.gpu!.text}" in resources.gpu${near ? `; did you mean ${near}?` : ''}`, 'resources.gpu');
}

/** Plans against explicit inputs; used by planSpec and by `aloft offers`. Throws PlanError when nothing fits. */
export function planOffers(input: PlanInput, offers: Offer[]): Plan {
  const bad = unknownGpu(input.req, offers);
  if (bad) throw bad;
  const checks = buildChecks(input);
  const diskGb = input.diskGb ?? input.req.diskGb ?? DEFAULT_DISK_GB;
  const spot = !!input.placement?.spot;
  const regionRes = (input.placement?.regions ?? []).map(globToRegExp);
  const survivors = new Array<number>(checks.length).fill(0);
  const lastOut = new Array<ExcludedOffer | undefined>(checks.length);
  const planned: PlannedOffer[] = [];
  const ranks = new Map<PlannedOffer, number>();
  const excluded: ExcludedOffer[] = [];
  for (const o of offers) {
    let failed = -1;
    let reason: string | null = null;
    for (let i = 0; i < checks.length; i++) {
      reason = checks[i]!.test(o);
      if (reason !== null) {
        failed = i;
        break;
      }
      survivors[i]!++;
    }
    if (failed >= 0) {
      const ex: ExcludedOffer = { offer: o, reason: reason!, constraint: checks[failed]!.constraint };
      excluded.push(ex);
      const prev = lastOut[failed];
      if (!prev || priceOf(o, spot) < priceOf(prev.offer, spot)) lastOut[failed] = ex;
      continue;
    }
    const compute = spot ? o.spotPricePerHour! : o.pricePerHour;
    const hourly = round6(compute + (diskGb * (o.diskPricePerGbMonth ?? 0)) / HOURS_PER_MONTH);
    const p: PlannedOffer = {
      provider: o.provider,
      region: o.region,
      instanceType: o.instanceType,
      gpu: o.gpu,
      vcpus: o.vcpus,
      memoryGb: o.memoryGb,
      arch: o.arch,
      pricePerHour: o.pricePerHour,
      spotPricePerHour: o.spotPricePerHour,
      diskPricePerGbMonth: o.diskPricePerGbMonth,
      egressPricePerGb: o.egressPricePerGb,
      spot,
      hourlyUsd: hourly,
      monthlyUsd: round6(hourly * HOURS_PER_MONTH),
    };
    planned.push(p);
    if (regionRes.length > 1) {
      const rank = regionRes.findIndex((r) => r.test(o.region));
      ranks.set(p, rank < 0 ? 0 : rank);
    }
  }
  planned.sort((a, b) => compareOffers(a, b, ranks));
  const plan: Plan = { offers: planned, excluded, diskGb };
  if (input.vramNeedGb !== undefined) plan.vramNeedGb = input.vramNeedGb;
  if (plan.offers.length === 0) throw emptied(plan, checks, survivors, lastOut, offers.length);
  return plan;
}

function priceOf(o: Offer, spot: boolean): number {
  return spot && o.spotPricePerHour != null ? o.spotPricePerHour : o.pricePerHour;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function compareOffers(a: PlannedOffer, b: PlannedOffer, ranks: Map<PlannedOffer, number>): number {
  return (
    a.hourlyUsd - b.hourlyUsd ||
    (a.gpu?.count ?? 0) - (b.gpu?.count ?? 0) ||
    (ranks.get(a) ?? 0) - (ranks.get(b) ?? 0) ||
    cmp(a.provider, b.provider) ||
    cmp(a.region, b.region) ||
    cmp(a.instanceType, b.instanceType)
  );
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function emptied(plan: Plan, checks: Check[], survivors: number[], lastOut: Array<ExcludedOffer | undefined>, total: number): PlanError {
  if (total === 0) return new PlanError('no offers in the catalog to plan against', 'catalog', plan);
  const i = survivors.findIndex((n) => n === 0);
  const c = checks[i]!;
  const before = i === 0 ? total : survivors[i - 1]!;
  const ex = lastOut[i]!;
  const o = ex.offer;
  return new PlanError(
    `no offer fits: ${c.constraint} excluded the last ${before} of ${total} offers (cheapest: ${o.provider} ${o.instanceType} ${o.region}: ${ex.reason})`,
    c.constraint,
    plan,
  );
}

/** The planner's inputs for a spec; throws PlanError for requirements it cannot read. */
export function specInput(spec: Spec, providers?: string[]): PlanInput & { warnings: string[] } {
  let req: Requirements;
  try {
    req = parseRequirements(spec.resources);
  } catch (err) {
    if (err instanceof RequirementError) throw new PlanError(err.message, 'resources');
    throw err;
  }
  const input: PlanInput & { warnings: string[] } = { req, placement: spec.placement, enabledProviders: providers, warnings: [] };
  if (spec.kind === 'ollama') {
    try {
      const size = sizeModel(spec.model, { ctx: spec.context });
      input.vramNeedGb = size.vramGb;
      input.model = size.tag;
      input.diskGb = req.diskGb ?? Math.max(DEFAULT_DISK_GB, Math.ceil(size.downloadGb + 20));
    } catch (err) {
      if (!(err instanceof ModelSizeError)) throw err;
      if (!req.gpu) throw new PlanError(`${err.message}; or set resources.gpu`, 'model');
      input.warnings.push(`${err.message}; VRAM not checked`);
    }
  }
  return input;
}

/** The feasible offers of a spec, cheapest first, and the excluded ones with reasons. */
export function planSpec(spec: Spec, opts: PlanOptions = {}): Plan {
  const input = specInput(spec, opts.providers);
  let offers = opts.offers;
  if (!offers) {
    const wantLocal = !spec.placement?.providers || spec.placement.providers.includes('local');
    offers = wantLocal ? [...localOffers(), ...loadOffers().filter((o) => o.provider !== 'local')] : loadOffers();
  }
  const plan = planOffers(input, offers);
  if (input.warnings.length) plan.warnings = input.warnings;
  return plan;
}

/** The cheapest offer of each provider, cheapest first. */
export function cheapestPerProvider(plan: Plan | PlannedOffer[]): PlannedOffer[] {
  const offers = Array.isArray(plan) ? plan : plan.offers;
  const seen = new Set<string>();
  return offers.filter((o) => (seen.has(o.provider) ? false : (seen.add(o.provider), true)));
}
