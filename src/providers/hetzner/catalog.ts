/**
 * Hetzner's live offers: every server type in every location that sells it.
 *
 * Hetzner prices in EUR; the catalog speaks USD, so prices are converted at a fixed
 * rate (HETZNER_EUR_USD, overridable) and the net price is used (Aloft compares
 * clouds before tax, as AWS and GCP publish them). Hetzner Cloud sells no GPUs.
 */
import type { Offer } from '../../catalog/types.js';
import type { HetznerClient } from './client.js';
import type { HLocation, HServerType } from './wire.js';

export const HETZNER_EUR_USD = 1.08;

interface PricingBody {
  pricing: { currency: string; volume: { price_per_gb_month: { net: string; gross: string } } };
}

export interface HetznerOffersOptions {
  eurToUsd?: number;
  region?: string;
}

const round = (n: number, digits = 5) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function fetchHetznerOffers(client: HetznerClient, opts: HetznerOffersOptions = {}): Promise<Offer[]> {
  const [types, locations, pricing] = await Promise.all([
    client.listAll<HServerType>('/server_types', 'server_types'),
    client.listAll<HLocation>('/locations', 'locations'),
    client.get<PricingBody>('/pricing'),
  ]);
  const pricingCurrency = pricing?.pricing?.currency ?? 'EUR';
  const rate = pricingCurrency === 'USD' ? 1 : (opts.eurToUsd ?? HETZNER_EUR_USD);
  const volumeNet = Number(pricing?.pricing?.volume?.price_per_gb_month?.net);
  const known = new Set(locations.map((l) => l.name));
  const now = Date.now();
  const offers: Offer[] = [];
  for (const t of types) {
    if (t.deprecated) continue;
    for (const loc of t.locations ?? []) {
      if (!known.has(loc.name)) continue;
      if (opts.region && loc.name !== opts.region) continue;
      if (loc.deprecation && Date.parse(loc.deprecation.unavailable_after) <= now) continue;
      const price = t.prices.find((p) => p.location === loc.name);
      const hourly = Number(price?.price_hourly.net);
      if (!price || !Number.isFinite(hourly)) continue;
      offers.push({
        provider: 'hetzner',
        region: loc.name,
        instanceType: t.name,
        gpu: null,
        vcpus: t.cores,
        memoryGb: t.memory,
        arch: t.architecture === 'arm' ? 'arm64' : 'x86_64',
        pricePerHour: round(hourly * rate),
        spotPricePerHour: null,
        ...(Number.isFinite(volumeNet) ? { diskPricePerGbMonth: round(volumeNet * rate) } : {}),
      });
    }
  }
  return offers.sort((a, b) => a.pricePerHour - b.pricePerHour || a.instanceType.localeCompare(b.instanceType));
}
