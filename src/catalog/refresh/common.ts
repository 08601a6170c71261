/**
 * Shared pieces of the price refreshers: the refresher shape, HTTP with one-line
 * errors (credentials are never echoed), and assembling a catalog file.
 */
import type { CatalogFile, CatalogInstanceType } from '../schema.js';

export interface RefreshContext {
  env: NodeJS.ProcessEnv;
  /** Replaces the provider's API base URL (tests point it at a recorded-answer server). */
  endpoint?: string;
  fetch?: typeof fetch;
  /** The current file: its regions, instance types, FX rate and spot prices carry over. */
  previous?: CatalogFile;
  now?: Date;
}

export interface Refresher {
  provider: string;
  /** Names of the missing environment variables; empty when refresh can run. */
  missingCredentials(env: NodeJS.ProcessEnv): string[];
  refresh(ctx: RefreshContext): Promise<CatalogFile>;
}

export class RefreshError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefreshError';
  }
}

export async function httpJson(ctx: RefreshContext, url: string, init: RequestInit = {}, what = 'pricing API'): Promise<any> {
  const f = ctx.fetch ?? fetch;
  let res: Response;
  try {
    res = await f(url, { ...init, signal: init.signal ?? AbortSignal.timeout(60_000) });
  } catch (err) {
    throw new RefreshError(`${what}: ${new URL(url).host} unreachable (${(err as Error).message})`);
  }
  const text = await res.text();
  if (!res.ok) throw new RefreshError(`${what}: HTTP ${res.status} from ${new URL(url).host}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new RefreshError(`${what}: answer from ${new URL(url).host} is not JSON`);
  }
}

export const missing = (env: NodeJS.ProcessEnv, names: string[]) => names.filter((n) => !env[n]);

export const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/** Spot prices the pricing API does not give (AWS, GCP GPUs without spot SKUs) carry over from the previous file. */
export function carrySpot(types: CatalogInstanceType[], previous?: CatalogFile): void {
  if (!previous) return;
  const prev = new Map(previous.instance_types.map((t) => [t.name, t]));
  for (const t of types) {
    const p = prev.get(t.name);
    if (!p) continue;
    for (const [r, price] of Object.entries(t.prices)) {
      if (price.spot === null && p.prices[r]?.spot != null) price.spot = p.prices[r]!.spot;
    }
  }
}

export function today(ctx: { now?: Date }): string {
  return (ctx.now ?? new Date()).toISOString().slice(0, 10);
}

/** Drops types without any price and regions no type is priced in, keeps order stable. */
export function assemble(f: Omit<CatalogFile, 'regions' | 'instance_types'>, regions: CatalogFile['regions'], types: CatalogInstanceType[]): CatalogFile {
  const priced = types.filter((t) => Object.keys(t.prices).length > 0);
  if (priced.length === 0) throw new RefreshError(`${f.provider}: the pricing answer priced no instance type`);
  const used = new Set(priced.flatMap((t) => Object.keys(t.prices)));
  return { ...f, regions: regions.filter((r) => used.has(r.name)), instance_types: priced };
}
