/**
 * The model catalog (`data/models.json`) and the sizing rule for Ollama tags.
 *
 *   VRAM (GB) = weights × 1.1 + KV cache(ctx) + 0.5
 *
 * weights: the tag's download size when the catalog knows it, else parameters × bits/8
 * (bits per weight of the quantisation, including its scales). KV cache: fp16 K and V for
 * every token of the context; the catalog gives the exact per-token size of each
 * architecture, and for unknown tags it is estimated from the parameter count
 * (48 KiB × √params_b, which errs high for models with grouped-query attention).
 * The 10% and 0.5 GB cover the compute graph and CUDA context.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { ModelsFile, type ModelEntry } from './schema.js';
import { DATA_DIR } from './load.js';

export const DEFAULT_CTX = 4096;

/** Bits per weight, including block scales, of the GGUF quantisations Ollama serves. */
export const QUANT_BITS: Record<string, number> = {
  q2_k: 3.35, q3_k_s: 3.5, q3_k_m: 3.9, q3_k_l: 4.3, iq4_xs: 4.25, q4_0: 4.5, q4_1: 5.0,
  q4_k_s: 4.6, q4_k_m: 4.85, q5_0: 5.5, q5_1: 6.0, q5_k_s: 5.55, q5_k_m: 5.7, q6_k: 6.6,
  q8_0: 8.5, f16: 16, fp16: 16, bf16: 16, f32: 32,
};
const DEFAULT_QUANT = 'q4_K_M';

export interface ModelSize {
  tag: string;
  paramsB: number;
  quant: string;
  bits: number;
  downloadGb: number;
  ctx: number;
  kvGb: number;
  vramGb: number;
  source: 'catalog' | 'estimate';
}

export class ModelSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelSizeError';
  }
}

let cache: { file: ModelsFile; byTag: Map<string, ModelEntry> } | undefined;

export function loadModels(path = join(DATA_DIR, 'models.json')): { file: ModelsFile; byTag: Map<string, ModelEntry> } {
  if (cache) return cache;
  const doc: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Value.Check(ModelsFile, doc)) {
    const e = Value.Errors(ModelsFile, doc).First();
    throw new ModelSizeError(`${path}: ${e?.path || '/'} ${e?.message ?? 'is not a models file'}`);
  }
  const byTag = new Map<string, ModelEntry>();
  for (const m of doc.models) {
    for (const k of [m.tag, ...(m.aliases ?? [])]) {
      if (byTag.has(k)) throw new ModelSizeError(`${path}: tag ${k} is listed twice`);
      byTag.set(k, m);
    }
  }
  cache = { file: doc, byTag };
  return cache;
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
const GIB = 2 ** 30;

export function vramFor(weightsGb: number, kvKibPerToken: number, ctx: number): { kvGb: number; vramGb: number } {
  const kvGb = (kvKibPerToken * 1024 * ctx) / GIB;
  return { kvGb: round1(kvGb), vramGb: round1(weightsGb * 1.1 + kvGb + 0.5) };
}

function bitsOf(quant: string): number | undefined {
  return QUANT_BITS[quant.toLowerCase()];
}

/** "7b" → 7, "1.5b" → 1.5, "8x7b" → 56, "335m" → 0.335, from anywhere in the tag. */
export function paramsFromTag(tag: string): number | undefined {
  const moe = /(?:^|[^a-z0-9.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z])/i.exec(tag);
  if (moe) return Number(moe[1]) * Number(moe[2]);
  const b = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z])/i.exec(tag);
  if (b) return Number(b[1]);
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)m(?![a-z])/i.exec(tag);
  if (m) return Number(m[1]) / 1000;
  return undefined;
}

/** The quantisation named in a tag (`…-q8_0`, `:Q4_K_M`, `-fp16`), if any. */
export function quantFromTag(tag: string): string | undefined {
  const m = /(?:^|[^a-z0-9])(q\d(?:_[a-z0-9]+)*|iq\d_[a-z0-9]+|fp16|f16|bf16|f32)(?![a-z0-9])/i.exec(tag);
  if (!m) return undefined;
  const q = m[1]!.toLowerCase();
  return bitsOf(q) === undefined ? undefined : q.replace(/_k_([sml])$/, (_s, x: string) => `_K_${x.toUpperCase()}`).replace(/_k$/, '_K');
}

export interface SizeOptions {
  ctx?: number;
}

export function sizeModel(tag: string, opts: SizeOptions = {}): ModelSize {
  const t = tag.trim();
  if (!t) throw new ModelSizeError('model tag is empty');
  const { file, byTag } = loadModels();
  const entry = byTag.get(t) ?? byTag.get(t.includes(':') ? t : `${t}:latest`);
  const ctxOf = (max?: number) => {
    const c = opts.ctx ?? file.default_ctx ?? DEFAULT_CTX;
    if (!Number.isInteger(c) || c < 1) throw new ModelSizeError(`context ${c}: expected a positive whole number of tokens`);
    return max ? Math.min(c, max) : c;
  };
  if (entry) {
    const ctx = ctxOf(entry.max_ctx);
    const bits = bitsOf(entry.quant) ?? 4.85;
    return { tag: entry.tag, paramsB: entry.params_b, quant: entry.quant, bits, downloadGb: entry.download_gb, ctx, ...vramFor(entry.download_gb, entry.kv_kib_per_token, ctx), source: 'catalog' };
  }
  // A variant of a known tag (llama3.1:8b-instruct-q8_0): its architecture, another quantisation.
  const [name, variant = ''] = t.split(/:(?=[^:]*$)/);
  const base = [...byTag.values()].find((m) => m.tag.split(':')[0] === name && variant.startsWith(m.tag.split(':')[1]! + '-'));
  const quant = quantFromTag(variant || t) ?? base?.quant ?? DEFAULT_QUANT;
  const paramsB = base?.params_b ?? paramsFromTag(variant || t) ?? paramsFromTag(t);
  if (paramsB === undefined) {
    throw new ModelSizeError(`cannot size ${t}: not in the model catalog and no parameter count in the tag (write it like name:7b)`);
  }
  const bits = bitsOf(quant) ?? 4.85;
  const weightsGb = (paramsB * 1e9 * bits) / 8 / 1e9;
  const kvKib = base?.kv_kib_per_token ?? 48 * Math.sqrt(paramsB);
  const ctx = ctxOf(base?.max_ctx);
  return { tag: t, paramsB, quant, bits, downloadGb: round1(weightsGb), ctx, ...vramFor(weightsGb, kvKib, ctx), source: 'estimate' };
}

/** Every catalog entry, sized at the given context, in file order. */
export function listModels(opts: SizeOptions = {}): ModelSize[] {
  return loadModels().file.models.map((m) => sizeModel(m.tag, opts));
}
