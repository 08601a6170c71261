/**
 * The local provider's one offer: this host's CPUs, memory and NVIDIA GPUs at price 0.
 * GPUs come from `nvidia-smi` when it is installed; a host without it is CPU-only.
 * Read once per process (nvidia-smi takes ~100 ms).
 */
import { cpus, totalmem } from 'node:os';
import { spawnSync } from 'node:child_process';
import type { GpuInfo, Offer } from './types.js';
import { canonicalGpuName } from './gpu-names.js';

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): GpuInfo | null {
  const rows = csv
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const i = l.lastIndexOf(',');
      return { name: canonicalGpuName(l.slice(0, i)), mib: Number(l.slice(i + 1).trim()) };
    })
    .filter((r) => r.name && Number.isFinite(r.mib) && r.mib > 0);
  if (rows.length === 0) return null;
  // Mixed GPUs: the offer describes the first model, counting only its kind.
  const first = rows[0]!;
  const same = rows.filter((r) => r.name === first.name);
  const vramGb = Math.round(Math.min(...same.map((r) => r.mib)) / 1024);
  return { name: first.name, count: same.length, vramGb };
}

function detectGpu(): GpuInfo | null {
  try {
    const r = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 5000,
    });
    if (r.status !== 0 || !r.stdout) return null;
    return parseNvidiaSmi(r.stdout);
  } catch {
    return null;
  }
}

export interface HostFacts {
  vcpus: number;
  memoryGb: number;
  arch: string;
  gpu: GpuInfo | null;
}

export function hostOffer(h: HostFacts): Offer {
  return {
    provider: 'local',
    region: 'local',
    instanceType: 'host',
    gpu: h.gpu,
    vcpus: h.vcpus,
    memoryGb: Math.round(h.memoryGb * 10) / 10,
    arch: h.arch === 'arm64' ? 'arm64' : 'x86_64',
    pricePerHour: 0,
    spotPricePerHour: null,
    diskPricePerGbMonth: 0,
    egressPricePerGb: 0,
  };
}

let cached: Offer[] | undefined;

/** This host as an offer. `ALOFT_LOCAL_GPUS=none` skips the nvidia-smi probe. */
export function localOffers(env: NodeJS.ProcessEnv = process.env): Offer[] {
  if (cached) return cached;
  const gpu = env.ALOFT_LOCAL_GPUS === 'none' ? null : detectGpu();
  cached = [hostOffer({ vcpus: cpus().length, memoryGb: totalmem() / 2 ** 30, arch: process.arch, gpu })];
  return cached;
}
