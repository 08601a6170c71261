/**
 * GPU model and VRAM (GB) per Exoscale instance family: Exoscale's API gives only a GPU
 * count, the model comes from its product pages. One table for the catalog refresher
 * (data/catalog/exoscale.json) and the provider's live offers, so both name a GPU alike.
 */
export const EXOSCALE_GPU_FAMILIES: Readonly<Record<string, { name: string; vramGb: number }>> = {
  gpu: { name: 'P100', vramGb: 16 },
  gpu2: { name: 'V100', vramGb: 16 },
  gpu3: { name: 'A40', vramGb: 48 },
  gpu3080ti: { name: 'RTX3080TI', vramGb: 12 },
  gpua5000: { name: 'RTXA5000', vramGb: 24 },
  gpua30: { name: 'A30', vramGb: 24 },
  gpurtx6000pro: { name: 'RTXPRO6000', vramGb: 96 },
  gpub300: { name: 'B300', vramGb: 288 },
};
