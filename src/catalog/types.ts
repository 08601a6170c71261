/**
 * Catalog vocabulary (DESIGN.md, "Choosing where").
 *  - Offer: one way to satisfy resources — provider, region, instance type, GPUs,
 *    vCPUs, memory, on-demand and spot price per hour.
 *  - Plan: the offers that fit a spec, cheapest first, plus every excluded offer with
 *    the reason it was excluded.
 */
export interface GpuInfo {
  name: string;
  count: number;
  /** VRAM per GPU, GB. */
  vramGb: number;
}

export interface Offer {
  provider: string;
  region: string;
  instanceType: string;
  gpu: GpuInfo | null;
  vcpus: number;
  memoryGb: number;
  arch: 'x86_64' | 'arm64';
  /** On-demand USD per hour. */
  pricePerHour: number;
  /** Spot USD per hour, where the provider sells spot. */
  spotPricePerHour?: number | null;
  /** USD per GB-month of block storage in this region. */
  diskPricePerGbMonth?: number;
  /** USD per GB of internet egress (list price of the first paid tier). */
  egressPricePerGb?: number;
}

export interface PlannedOffer extends Offer {
  spot: boolean;
  /** The hourly price that applies (spot or on-demand) including disks. */
  hourlyUsd: number;
  monthlyUsd: number;
}

export interface ExcludedOffer {
  offer: Offer;
  reason: string;
  /** The spec key whose check excluded it: resources.gpu, placement.regions, model, ... */
  constraint?: string;
}

export interface Plan {
  offers: PlannedOffer[];
  excluded: ExcludedOffer[];
  /** Disk size the estimates assume, GB. */
  diskGb?: number;
  /** For kind ollama: the VRAM (or, CPU-only, memory) the model needs, GB. */
  vramNeedGb?: number;
  /** Things the planner could not check (e.g. an unsizeable model with an explicit gpu). */
  warnings?: string[];
}
