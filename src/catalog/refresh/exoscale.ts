/**
 * Exoscale: `GET /v2/instance-type` (API v2, EXO2-HMAC-SHA256 signed) gives families,
 * sizes, CPUs, GPUs, memory in bytes and the zones of each type; prices come from the
 * public price list that exoscale.com/pricing loads (EUR per hour per
 * "running_<family>_<size>" key, and "volume" per GB-month). Types the price list does
 * not name keep their previous price, or are dropped when new.
 */
import { createHmac } from 'node:crypto';
import type { CatalogFile, CatalogInstanceType } from '../schema.js';
import { EXOSCALE_GPU_FAMILIES } from '../gpu-families.js';
import { assemble, httpJson, missing, today, type RefreshContext, type Refresher } from './common.js';

export const EXOSCALE_API = 'https://api-ch-gva-2.exoscale.com/v2';
export const EXOSCALE_PRICING = 'https://portal.exoscale.com/api/pricing/opencompute';

const FAMILIES = new Set(['standard', 'cpu', 'memory', ...Object.keys(EXOSCALE_GPU_FAMILIES)]);

interface ExoType { family: string; size: string; cpus: number; gpus?: number; memory: number; authorized?: boolean; zones?: string[] }

export function parseExoscale(answer: { 'instance-types': ExoType[] }, pricing: Record<string, Record<string, string | number>>, ctx: Pick<RefreshContext, 'previous' | 'now'> = {}): CatalogFile {
  const eur = pricing.eur ?? {};
  const prev = new Map(ctx.previous?.instance_types.map((t) => [t.name, t]) ?? []);
  const zones = new Set<string>();
  const types: CatalogInstanceType[] = [];
  for (const it of answer['instance-types'] ?? []) {
    // Families Aloft does not offer, and answers without a usable memory size, are skipped.
    if (!FAMILIES.has(it.family) || !(it.memory >= 2 ** 29)) continue;
    const name = `${it.family}.${it.size}`;
    const listed = eur[`running_${it.family}_${it.size}`] ?? eur[`running_${it.size}`];
    const hourly = listed !== undefined ? Number(listed) : undefined;
    const fam = EXOSCALE_GPU_FAMILIES[it.family];
    const prices: CatalogInstanceType['prices'] = {};
    for (const z of it.zones ?? []) {
      const p = hourly ?? prev.get(name)?.prices[z]?.on_demand ?? Object.values(prev.get(name)?.prices ?? {})[0]?.on_demand;
      if (p === undefined) continue;
      prices[z] = { on_demand: p, spot: null };
      zones.add(z);
    }
    types.push({
      name,
      gpu: fam && (it.gpus ?? 0) > 0 ? { name: fam.name, count: it.gpus!, vram_gb: fam.vramGb } : null,
      vcpus: it.cpus,
      memory_gib: Math.round((it.memory / 2 ** 30) * 10) / 10,
      arch: 'x86_64',
      prices,
    });
  }
  const order = ctx.previous?.regions.map((r) => r.name) ?? [];
  const rank = (z: string) => (order.includes(z) ? order.indexOf(z) : order.length);
  const volume = eur.volume !== undefined ? Number(eur.volume) : (ctx.previous?.regions[0]?.disk_price_per_gb_month ?? 0.0833);
  return assemble(
    {
      provider: 'exoscale',
      currency: 'EUR',
      usd_per_unit: ctx.previous?.usd_per_unit ?? 1.04,
      source: `${EXOSCALE_API}/instance-type and ${EXOSCALE_PRICING}`,
      fetched_at: today(ctx),
      notes: 'Refreshed from the Exoscale API v2 (instance types and their zones) and the public price list (EUR per hour), converted at usd_per_unit. No spot.',
      egress_usd_per_gb: ctx.previous?.egress_usd_per_gb ?? 0.02,
    },
    [...zones].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1)).map((name) => ({ name, disk_price_per_gb_month: volume })),
    types,
  );
}

/**
 * Exoscale's request signature (API v2 docs, "API Request Signature"): base64
 * HMAC-SHA256 of "METHOD path\nbody\nquery values\nheader values\nexpires"; the query
 * parameter names go in the `signed-query-args` pragma, in the same order as their values.
 */
export function exoscaleAuthorization(key: string, secret: string, method: string, url: URL, body: string, expires: number): string {
  const params = [...url.searchParams.entries()];
  const message = [`${method} ${url.pathname}`, body, params.map(([, v]) => v).join(''), '', String(expires)].join('\n');
  const sig = createHmac('sha256', secret).update(message, 'utf8').digest('base64');
  const pragma = params.length ? `signed-query-args=${params.map(([k]) => k).join(';')},` : '';
  return `EXO2-HMAC-SHA256 credential=${key},${pragma}expires=${expires},signature=${sig}`;
}

export const exoscaleRefresher: Refresher = {
  provider: 'exoscale',
  missingCredentials: (env) => missing(env, ['EXOSCALE_API_KEY', 'EXOSCALE_API_SECRET']),
  async refresh(ctx) {
    const base = (ctx.endpoint ?? ctx.env.ALOFT_EXOSCALE_API_URL ?? EXOSCALE_API).replace(/\/$/, '');
    const url = new URL(`${base}/instance-type`);
    const expires = Math.floor((ctx.now ?? new Date()).getTime() / 1000) + 600;
    const authorization = exoscaleAuthorization(ctx.env.EXOSCALE_API_KEY!, ctx.env.EXOSCALE_API_SECRET!, 'GET', url, '', expires);
    const types = await httpJson(ctx, url.toString(), { headers: { authorization } }, 'exoscale /instance-type');
    const pricingUrl = ctx.endpoint ? `${base}/pricing/opencompute` : (ctx.env.ALOFT_EXOSCALE_PRICING_URL ?? EXOSCALE_PRICING);
    const pricing = await httpJson(ctx, pricingUrl, {}, 'exoscale price list');
    return parseExoscale(types, pricing, ctx);
  },
};
