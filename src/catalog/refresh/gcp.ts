/**
 * GCP: the Cloud Billing Catalog API, `GET /v1/services/6F81-5844-456A/skus` (Compute
 * Engine) with an API key. GCE prices machines by the piece — per vCPU-hour and
 * GiB-hour of the machine family, plus per attached GPU-hour — so each machine type
 * below is priced as vcpus × core + GiB × ram + gpus × gpu, in every region whose SKUs
 * cover all three. Spot prices come from the `Preemptible` usage-type SKUs.
 */
import type { CatalogFile, CatalogInstanceType } from '../schema.js';
import { assemble, carrySpot, httpJson, missing, round6, today, type RefreshContext, type Refresher } from './common.js';

export const GCP_BILLING_API = 'https://cloudbilling.googleapis.com';
export const GCE_SERVICE = '6F81-5844-456A';

type Family = 'N1' | 'G2' | 'A2' | 'A3';
interface Shape { name: string; family: Family; vcpus: number; mem: number; gpu?: { sku: string; name: string; count: number; vram: number } }

const gpu = (sku: string, name: string, vram: number) => (count: number) => ({ sku, name, count, vram });
const T4 = gpu('T4', 'T4', 16), V100 = gpu('V100', 'V100', 16), L4 = gpu('L4', 'L4', 24);
const A100 = gpu('A100', 'A100', 40), A100_80 = gpu('A100 80GB', 'A100', 80), H100 = gpu('H100 80GB', 'H100', 80);

/** The machine types Aloft offers on GCP (shapes from the GCE machine-type docs). */
export const GCP_SHAPES: Shape[] = [
  ...[['n1-standard-4', 4, 15], ['n1-standard-8', 8, 30], ['n1-standard-16', 16, 60]].flatMap(([n, v, m]) => [
    ...[1, 2, 4].map((c) => ({ name: `${n}+nvidia-tesla-t4x${c}`, family: 'N1' as const, vcpus: v as number, mem: m as number, gpu: T4(c) })),
    ...[1, 2, 4, 8].filter((c) => !(n === 'n1-standard-4' && c > 1)).map((c) => ({ name: `${n}+nvidia-tesla-v100x${c}`, family: 'N1' as const, vcpus: v as number, mem: m as number, gpu: V100(c) })),
  ]),
  { name: 'n1-standard-2', family: 'N1', vcpus: 2, mem: 7.5 },
  { name: 'n1-standard-4', family: 'N1', vcpus: 4, mem: 15 },
  { name: 'n1-standard-8', family: 'N1', vcpus: 8, mem: 30 },
  ...([[4, 16, 1], [8, 32, 1], [12, 48, 1], [16, 64, 1], [24, 96, 2], [32, 128, 1], [48, 192, 4], [96, 384, 8]] as const).map(([v, m, c]) => ({ name: `g2-standard-${v}`, family: 'G2' as const, vcpus: v, mem: m, gpu: L4(c) })),
  ...([[1, 12, 85], [2, 24, 170], [4, 48, 340], [8, 96, 680]] as const).map(([c, v, m]) => ({ name: `a2-highgpu-${c}g`, family: 'A2' as const, vcpus: v, mem: m, gpu: A100(c) })),
  { name: 'a2-megagpu-16g', family: 'A2', vcpus: 96, mem: 1360, gpu: A100(16) },
  ...([[1, 12, 170], [2, 24, 340], [4, 48, 680], [8, 96, 1360]] as const).map(([c, v, m]) => ({ name: `a2-ultragpu-${c}g`, family: 'A2' as const, vcpus: v, mem: m, gpu: A100_80(c) })),
  { name: 'a3-highgpu-8g', family: 'A3', vcpus: 208, mem: 1872, gpu: H100(8) },
];

interface Sku {
  description: string;
  category: { resourceFamily: string; resourceGroup: string; usageType: string };
  serviceRegions: string[];
  pricingInfo: Array<{ pricingExpression: { usageUnit: string; tieredRates: Array<{ startUsageAmount: number; unitPrice: { units: string; nanos: number } }> } }>;
}

function unitPrice(s: Sku): number | undefined {
  const rates = s.pricingInfo?.[0]?.pricingExpression?.tieredRates ?? [];
  const r = rates[rates.length - 1];
  return r ? Number(r.unitPrice.units || 0) + (r.unitPrice.nanos || 0) / 1e9 : undefined;
}

/** Key of a SKU in the rate table: "N1 core", "G2 ram", "gpu L4", "disk". */
function skuKey(d: string): string | undefined {
  let m = /^(?:Spot Preemptible )?(N1 Predefined|G2|A2|A3) Instance (Core|Ram) running in /.exec(d);
  if (m) return `${m[1]!.split(' ')[0]} ${m[2]!.toLowerCase()}`;
  m = /^(?:Spot Preemptible )?Nvidia (?:Tesla )?(T4|V100|L4|A100 80GB|A100|H100 80GB) GPU running in /.exec(d);
  if (m) return `gpu ${m[1]}`;
  if (/^Balanced PD Capacity in /.test(d)) return 'disk';
  return undefined;
}

export function parseGcpSkus(pages: Array<{ skus: Sku[] }>, ctx: Pick<RefreshContext, 'previous' | 'now'> = {}): CatalogFile {
  // rates[usage][key][region] = USD per unit-hour (disk: per GB-month)
  const rates: Record<'OnDemand' | 'Preemptible', Map<string, Map<string, number>>> = { OnDemand: new Map(), Preemptible: new Map() };
  for (const page of pages) {
    for (const s of page.skus ?? []) {
      const usage = s.category?.usageType;
      if (usage !== 'OnDemand' && usage !== 'Preemptible') continue;
      const key = skuKey(s.description);
      const price = unitPrice(s);
      if (!key || price === undefined) continue;
      const byRegion = rates[usage].get(key) ?? new Map<string, number>();
      rates[usage].set(key, byRegion);
      for (const r of s.serviceRegions ?? []) byRegion.set(r, price);
    }
  }
  const rate = (usage: 'OnDemand' | 'Preemptible', sh: Shape, region: string): number | undefined => {
    const core = rates[usage].get(`${sh.family} core`)?.get(region);
    const ram = rates[usage].get(`${sh.family} ram`)?.get(region);
    if (core === undefined || ram === undefined) return undefined;
    let p = sh.vcpus * core + sh.mem * ram;
    if (sh.gpu) {
      const g = rates[usage].get(`gpu ${sh.gpu.sku}`)?.get(region);
      if (g === undefined) return undefined;
      p += sh.gpu.count * g;
    }
    return round6(p);
  };
  const allRegions = new Set<string>();
  for (const m of rates.OnDemand.values()) for (const r of m.keys()) allRegions.add(r);
  const order = ctx.previous?.regions.map((r) => r.name);
  const regions = [...allRegions].filter((r) => !order || order.includes(r)).sort((a, b) => (order ? order.indexOf(a) - order.indexOf(b) : 0) || (a < b ? -1 : 1));
  const types: CatalogInstanceType[] = GCP_SHAPES.map((sh) => {
    const prices: CatalogInstanceType['prices'] = {};
    for (const r of regions) {
      const od = rate('OnDemand', sh, r);
      if (od !== undefined) prices[r] = { on_demand: od, spot: rate('Preemptible', sh, r) ?? null };
    }
    return { name: sh.name, gpu: sh.gpu ? { name: sh.gpu.name, count: sh.gpu.count, vram_gb: sh.gpu.vram } : null, vcpus: sh.vcpus, memory_gib: sh.mem, arch: 'x86_64', prices };
  });
  carrySpot(types, ctx.previous);
  const disk = rates.OnDemand.get('disk');
  return assemble(
    {
      provider: 'gcp',
      currency: 'USD',
      usd_per_unit: 1,
      source: `${GCP_BILLING_API}/v1/services/${GCE_SERVICE}/skus (Cloud Billing Catalog API)`,
      fetched_at: today(ctx),
      notes: 'Refreshed from the Cloud Billing Catalog API: per-vCPU, per-GiB and per-GPU on-demand and Spot (Preemptible) rates composed into machine types. N1 GPU types are named <machine-type>+<accelerator>x<count>. Disk: pd-balanced per GB-month.',
      egress_usd_per_gb: ctx.previous?.egress_usd_per_gb ?? 0.12,
    },
    regions.map((name) => ({ name, disk_price_per_gb_month: disk?.get(name) ?? 0.1 })),
    types,
  );
}

export const gcpRefresher: Refresher = {
  provider: 'gcp',
  missingCredentials: (env) => (env.GCP_API_KEY || env.GOOGLE_API_KEY ? [] : ['GCP_API_KEY']),
  async refresh(ctx) {
    const base = (ctx.endpoint ?? ctx.env.ALOFT_GCP_BILLING_URL ?? GCP_BILLING_API).replace(/\/$/, '');
    const key = ctx.env.GCP_API_KEY || ctx.env.GOOGLE_API_KEY!;
    const pages: Array<{ skus: Sku[] }> = [];
    let token = '';
    for (let i = 0; i < 200; i++) {
      const q = new URLSearchParams({ key, currencyCode: 'USD', pageSize: '5000', ...(token ? { pageToken: token } : {}) });
      const page = await httpJson(ctx, `${base}/v1/services/${GCE_SERVICE}/skus?${q}`, {}, 'gcp Cloud Billing skus');
      pages.push(page);
      token = page.nextPageToken ?? '';
      if (!token) break;
    }
    return parseGcpSkus(pages, ctx);
  },
};
