/**
 * Hetzner Cloud: GET /server_types (cores, memory, architecture, per-location prices)
 * and GET /pricing (currency, volume price). Prices are EUR net of VAT.
 */
import type { CatalogFile, CatalogInstanceType } from '../schema.js';
import { assemble, httpJson, missing, today, RefreshError, type RefreshContext, type Refresher } from './common.js';

export const HETZNER_API = 'https://api.hetzner.cloud/v1';

interface HzPrice { net: string; gross: string }
interface HzServerType {
  name: string;
  cores: number;
  memory: number;
  architecture: 'x86' | 'arm';
  cpu_type: 'shared' | 'dedicated';
  deprecated?: boolean | null;
  prices: Array<{ location: string; price_hourly: HzPrice; price_monthly: HzPrice; price_per_tb_traffic?: HzPrice }>;
}

export function parseHetzner(serverTypes: { server_types: HzServerType[] }, pricing: { pricing: any }, ctx: Pick<RefreshContext, 'previous' | 'now'> = {}): CatalogFile {
  const p = pricing.pricing;
  if (!Array.isArray(serverTypes?.server_types) || !p) throw new RefreshError('hetzner: unexpected answer shape');
  const locations = new Set<string>();
  let egressPerTb = 0;
  const types: CatalogInstanceType[] = [];
  const seen = new Set<string>();
  for (const st of serverTypes.server_types) {
    // Pages can overlap while types are added; the first answer wins.
    if (st.deprecated || seen.has(st.name)) continue;
    seen.add(st.name);
    const prices: CatalogInstanceType['prices'] = {};
    for (const pr of st.prices) {
      prices[pr.location] = { on_demand: Number(pr.price_hourly.net), spot: null };
      locations.add(pr.location);
      if (pr.price_per_tb_traffic) egressPerTb = Math.max(egressPerTb, Number(pr.price_per_tb_traffic.net));
    }
    types.push({
      name: st.name,
      gpu: null,
      vcpus: st.cores,
      memory_gib: st.memory,
      arch: st.architecture === 'arm' ? 'arm64' : 'x86_64',
      cpu_type: st.cpu_type,
      prices,
    });
  }
  const disk = Number(p.volume?.price_per_gb_month?.net ?? 0);
  const order = ctx.previous?.regions.map((r) => r.name) ?? [];
  const regionNames = [...locations].sort((a, b) => rank(order, a) - rank(order, b) || (a < b ? -1 : 1));
  const usdPer = p.currency === 'USD' ? 1 : (ctx.previous?.usd_per_unit ?? 1.04);
  return assemble(
    {
      provider: 'hetzner',
      currency: p.currency,
      usd_per_unit: usdPer,
      source: `${HETZNER_API}/server_types and /pricing`,
      fetched_at: today(ctx),
      notes: `Refreshed from the Hetzner Cloud API: hourly prices net of VAT (VAT ${p.vat_rate}%) in ${p.currency}, converted at usd_per_unit. No GPUs, no spot.`,
      egress_usd_per_gb: Math.round((egressPerTb / 1000) * 1e6) / 1e6,
    },
    regionNames.map((name) => ({ name, disk_price_per_gb_month: disk })),
    types,
  );
}

const rank = (order: string[], x: string) => (order.includes(x) ? order.indexOf(x) : order.length);

export const hetznerRefresher: Refresher = {
  provider: 'hetzner',
  missingCredentials: (env) => missing(env, ['HCLOUD_TOKEN']),
  async refresh(ctx) {
    const base = (ctx.endpoint ?? ctx.env.ALOFT_HETZNER_API_URL ?? HETZNER_API).replace(/\/$/, '');
    const headers = { authorization: `Bearer ${ctx.env.HCLOUD_TOKEN}` };
    const all: HzServerType[] = [];
    for (let page = 1, calls = 0; calls < 50; page++, calls++) {
      const r = await httpJson(ctx, `${base}/server_types?page=${page}&per_page=50`, { headers }, 'hetzner /server_types');
      all.push(...(r.server_types ?? []));
      const next = r.meta?.pagination?.next_page;
      if (!next || next <= page) break;
      page = next - 1;
    }
    const pricing = await httpJson(ctx, `${base}/pricing`, { headers }, 'hetzner /pricing');
    return parseHetzner({ server_types: all }, pricing, ctx);
  },
};
