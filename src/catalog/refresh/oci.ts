/**
 * OCI: the public price list API (`GET /pls/apex/cetools/api/v1/products/?currencyCode=USD`,
 * no credentials). Prices are per part — per GPU-hour, per OCPU-hour, per GB-hour of
 * memory — and the same in every commercial region, so each shape is composed from its
 * parts and priced in the regions of the previous file. Always Free shapes stay at 0.
 */
import type { CatalogFile, CatalogInstanceType } from '../schema.js';
import { assemble, httpJson, round6, today, RefreshError, type RefreshContext, type Refresher } from './common.js';

export const OCI_PRICE_LIST = 'https://apexapis.oracle.com/pls/apex/cetools/api/v1/products/';

interface Part { match: RegExp; per: number }
interface Shape { name: string; gpu: CatalogInstanceType['gpu']; vcpus: number; mem: number; arch: 'x86_64' | 'arm64'; parts: Part[]; free?: boolean }

const G = (name: string, count: number, vram: number) => ({ name, count, vram_gb: vram });
const E4_OCPU = /^Compute - Standard - E4 - OCPU$/;
const E4_MEM = /^Compute - Standard - E4 - Memory$/;
const A1_OCPU = /^Compute - Ampere A1 - OCPU$/;
const A1_MEM = /^Compute - Ampere A1 - Memory$/;

/** The shapes Aloft offers on OCI and the price-list parts they are made of. */
export const OCI_SHAPES: Shape[] = [
  { name: 'VM.Standard.A1.Flex', gpu: null, vcpus: 4, mem: 24, arch: 'arm64', parts: [], free: true },
  { name: 'VM.Standard.E2.1.Micro', gpu: null, vcpus: 2, mem: 1, arch: 'x86_64', parts: [], free: true },
  { name: 'VM.Standard.E4.Flex.2', gpu: null, vcpus: 4, mem: 16, arch: 'x86_64', parts: [{ match: E4_OCPU, per: 2 }, { match: E4_MEM, per: 16 }] },
  { name: 'VM.Standard.E4.Flex.4', gpu: null, vcpus: 8, mem: 64, arch: 'x86_64', parts: [{ match: E4_OCPU, per: 4 }, { match: E4_MEM, per: 64 }] },
  { name: 'VM.Standard.A1.Flex.8', gpu: null, vcpus: 8, mem: 48, arch: 'arm64', parts: [{ match: A1_OCPU, per: 8 }, { match: A1_MEM, per: 48 }] },
  { name: 'VM.GPU3.1', gpu: G('V100', 1, 16), vcpus: 12, mem: 90, arch: 'x86_64', parts: [{ match: /^Compute - GPU Standard - V100$/, per: 1 }] },
  { name: 'VM.GPU.A10.1', gpu: G('A10', 1, 24), vcpus: 30, mem: 240, arch: 'x86_64', parts: [{ match: /^Compute - GPU - A10$/, per: 1 }] },
  { name: 'VM.GPU.A10.2', gpu: G('A10', 2, 24), vcpus: 60, mem: 480, arch: 'x86_64', parts: [{ match: /^Compute - GPU - A10$/, per: 2 }] },
  { name: 'BM.GPU.A10.4', gpu: G('A10', 4, 24), vcpus: 128, mem: 1024, arch: 'x86_64', parts: [{ match: /^Compute - GPU - A10$/, per: 4 }] },
  { name: 'BM.GPU4.8', gpu: G('A100', 8, 40), vcpus: 128, mem: 2048, arch: 'x86_64', parts: [{ match: /^Compute - GPU - A100 - v1$/, per: 8 }] },
  { name: 'BM.GPU.A100-v2.8', gpu: G('A100', 8, 80), vcpus: 256, mem: 2048, arch: 'x86_64', parts: [{ match: /^Compute - GPU - A100 - v2$/, per: 8 }] },
  { name: 'BM.GPU.H100.8', gpu: G('H100', 8, 80), vcpus: 224, mem: 2048, arch: 'x86_64', parts: [{ match: /^Compute - GPU - H100$/, per: 8 }] },
];
const BLOCK_VOLUME = /^Storage - Block Volume - Storage$/;
const DEFAULT_REGIONS = ['us-ashburn-1', 'us-phoenix-1', 'eu-frankfurt-1', 'uk-london-1', 'ap-tokyo-1'];

interface Item { partNumber: string; displayName: string; metricName: string; currencyCodeLocalizations: Array<{ currencyCode: string; prices: Array<{ model: string; value: number }> }> }

export function parseOciPriceList(answer: { items: Item[] }, ctx: Pick<RefreshContext, 'previous' | 'now'> = {}): CatalogFile {
  if (!Array.isArray(answer?.items)) throw new RefreshError('oci: price list answer has no items');
  const price = (re: RegExp): number | undefined => {
    const it = answer.items.find((i) => re.test(i.displayName));
    const loc = it?.currencyCodeLocalizations.find((l) => l.currencyCode === 'USD');
    // PAY_AS_YOU_GO; parts with a free tier list a 0-priced first tier, then the paid one.
    const paid = loc?.prices.filter((p) => p.model === 'PAY_AS_YOU_GO').map((p) => p.value) ?? [];
    return paid.length ? Math.max(...paid) : undefined;
  };
  const regions = ctx.previous?.regions.map((r) => r.name) ?? DEFAULT_REGIONS;
  const types: CatalogInstanceType[] = OCI_SHAPES.map((sh) => {
    let hourly: number | undefined = 0;
    for (const p of sh.parts) {
      const v = price(p.match);
      hourly = v === undefined || hourly === undefined ? undefined : hourly + v * p.per;
    }
    const prices: CatalogInstanceType['prices'] = {};
    if (hourly !== undefined) {
      for (const r of regions) prices[r] = { on_demand: round6(hourly), spot: sh.free ? null : round6(hourly / 2) };
    }
    return { name: sh.name, gpu: sh.gpu, vcpus: sh.vcpus, memory_gib: sh.mem, arch: sh.arch, prices };
  });
  const disk = price(BLOCK_VOLUME) ?? ctx.previous?.regions[0]?.disk_price_per_gb_month ?? 0.0255;
  return assemble(
    {
      provider: 'oci',
      currency: 'USD',
      usd_per_unit: 1,
      source: `${OCI_PRICE_LIST}?currencyCode=USD (Oracle Cloud price list API)`,
      fetched_at: today(ctx),
      notes: 'Refreshed from the public OCI price list: shapes composed from per-GPU, per-OCPU and per-GB parts; the same price in every region. Always Free shapes at 0. Spot = preemptible capacity at 50%.',
      egress_usd_per_gb: ctx.previous?.egress_usd_per_gb ?? 0.0085,
    },
    regions.map((name) => ({ name, disk_price_per_gb_month: disk })),
    types,
  );
}

export const ociRefresher: Refresher = {
  provider: 'oci',
  missingCredentials: () => [], // the price list is public
  async refresh(ctx) {
    const base = ctx.endpoint ? `${ctx.endpoint.replace(/\/$/, '')}/pls/apex/cetools/api/v1/products/` : (ctx.env.ALOFT_OCI_PRICELIST_URL ?? OCI_PRICE_LIST);
    const answer = await httpJson(ctx, `${base}?currencyCode=USD`, {}, 'oci price list');
    return parseOciPriceList(answer, ctx);
  },
};
