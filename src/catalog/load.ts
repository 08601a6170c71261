/**
 * Reads and checks the catalog files, and turns them into offers (one per instance
 * type and region). Files are read once per process and directory; the planner runs
 * against the in-memory offers.
 *
 * Directory: `$ALOFT_CATALOG_DIR` when set (where `aloft catalog refresh` writes),
 * else the `data/catalog/` shipped with Aloft.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { CatalogFile } from './schema.js';
import type { Offer } from './types.js';

/** data/ sits two levels above this file both in src/catalog and dist/catalog. */
export const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

export function catalogDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ALOFT_CATALOG_DIR || join(DATA_DIR, 'catalog');
}

export class CatalogFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogFileError';
  }
}

/** Checks a parsed file; throws one line naming the file, the JSON path and the problem. */
export function checkCatalogFile(doc: unknown, label: string): CatalogFile {
  if (!Value.Check(CatalogFile, doc)) {
    const e = Value.Errors(CatalogFile, doc).First();
    throw new CatalogFileError(`${label}: ${e?.path || '/'} ${e?.message ?? 'is not a catalog file'}`);
  }
  const f = doc as CatalogFile;
  const regions = new Set(f.regions.map((r) => r.name));
  const seen = new Set<string>();
  for (const t of f.instance_types) {
    if (seen.has(t.name)) throw new CatalogFileError(`${label}: instance type ${t.name} is listed twice`);
    seen.add(t.name);
    for (const r of Object.keys(t.prices)) {
      if (!regions.has(r)) throw new CatalogFileError(`${label}: ${t.name} is priced in ${r}, which is not in regions`);
    }
  }
  return f;
}

const fileCache = new Map<string, CatalogFile[]>();

/** Every `<provider>.json` in the directory, checked, in provider-name order. */
export function loadCatalogFiles(dir: string = catalogDir()): CatalogFile[] {
  const hit = fileCache.get(dir);
  if (hit) return hit;
  const names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  const files = names.map((n) => {
    const path = join(dir, n);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new CatalogFileError(`${path}: ${(err as Error).message}`);
    }
    const f = checkCatalogFile(doc, path);
    if (`${f.provider}.json` !== n) throw new CatalogFileError(`${path}: provider is "${f.provider}", expected the file name`);
    return f;
  });
  fileCache.set(dir, files);
  return files;
}

export function clearCatalogCache(): void {
  fileCache.clear();
  offerCache.clear();
}

/** Offers of one file, in file order (instance types, then regions in the file's region order). */
export function fileOffers(f: CatalogFile): Offer[] {
  const fx = f.usd_per_unit;
  const usd = (v: number) => Math.round(v * fx * 1e6) / 1e6;
  const out: Offer[] = [];
  for (const t of f.instance_types) {
    for (const r of f.regions) {
      const p = t.prices[r.name];
      if (!p) continue;
      out.push({
        provider: f.provider,
        region: r.name,
        instanceType: t.name,
        gpu: t.gpu ? { name: t.gpu.name, count: t.gpu.count, vramGb: t.gpu.vram_gb } : null,
        vcpus: t.vcpus,
        memoryGb: t.memory_gib,
        arch: t.arch,
        pricePerHour: usd(p.on_demand),
        spotPricePerHour: p.spot === null ? null : usd(p.spot),
        diskPricePerGbMonth: usd(r.disk_price_per_gb_month),
        egressPricePerGb: usd(f.egress_usd_per_gb),
      });
    }
  }
  return out;
}

const offerCache = new Map<string, Offer[]>();

/** All static offers of the catalog (the local provider's come from local-offers.ts). */
export function loadOffers(dir: string = catalogDir()): Offer[] {
  const hit = offerCache.get(dir);
  if (hit) return hit;
  const offers = loadCatalogFiles(dir).flatMap(fileOffers);
  offerCache.set(dir, offers);
  return offers;
}

/** Providers named by the catalog files (including `local`). */
export function catalogProviders(dir: string = catalogDir()): string[] {
  return loadCatalogFiles(dir).map((f) => f.provider);
}
