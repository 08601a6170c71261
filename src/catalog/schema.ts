/**
 * The shape of `data/catalog/<provider>.json` and `data/models.json`, as TypeBox schemas.
 * The files are hand-maintained (or rewritten by `aloft catalog refresh`), so every
 * file is checked against these at load time and by a test over every file.
 *
 * Prices in a catalog file are in its `currency`; `usd_per_unit` converts them to USD
 * (Hetzner and Exoscale publish EUR). Offers carry USD only.
 */
import { Type, type Static } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;
const NonNeg = Type.Number({ minimum: 0 });

export const CatalogGpu = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Canonical GPU name: T4, L4, A10G, A100, H100, ...' }),
    count: Type.Integer({ minimum: 1 }),
    vram_gb: Type.Number({ exclusiveMinimum: 0, description: 'VRAM per GPU, GB' }),
  },
  closed,
);

export const RegionPrice = Type.Object(
  {
    on_demand: NonNeg,
    spot: Type.Union([NonNeg, Type.Null()]),
  },
  closed,
);

export const CatalogInstanceType = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    gpu: Type.Union([CatalogGpu, Type.Null()]),
    vcpus: Type.Number({ exclusiveMinimum: 0 }),
    memory_gib: Type.Number({ exclusiveMinimum: 0 }),
    arch: Type.Union([Type.Literal('x86_64'), Type.Literal('arm64')]),
    cpu_type: Type.Optional(Type.Union([Type.Literal('shared'), Type.Literal('dedicated')])),
    /** Region name → price; a region missing here does not offer the type. */
    prices: Type.Record(Type.String({ minLength: 1 }), RegionPrice),
  },
  closed,
);

export const CatalogRegion = Type.Object(
  { name: Type.String({ minLength: 1 }), disk_price_per_gb_month: NonNeg },
  closed,
);

export const CatalogFile = Type.Object(
  {
    provider: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    usd_per_unit: Type.Number({ exclusiveMinimum: 0 }),
    source: Type.String({ minLength: 1, description: 'Where the prices came from (URL, API, or "host")' }),
    fetched_at: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}' }),
    notes: Type.Optional(Type.String()),
    /** "host": offers are read from this machine at run time (the local provider). */
    dynamic: Type.Optional(Type.Literal('host')),
    egress_usd_per_gb: NonNeg,
    regions: Type.Array(CatalogRegion, { minItems: 1 }),
    instance_types: Type.Array(CatalogInstanceType),
  },
  closed,
);
export type CatalogFile = Static<typeof CatalogFile>;
export type CatalogInstanceType = Static<typeof CatalogInstanceType>;

export const ModelEntry = Type.Object(
  {
    tag: Type.String({ pattern: '^[a-z0-9][a-z0-9._/-]*:[a-z0-9._-]+$' }),
    aliases: Type.Optional(Type.Array(Type.String())),
    family: Type.String(),
    kind: Type.Optional(Type.Union([Type.Literal('chat'), Type.Literal('embedding')])),
    params_b: Type.Number({ exclusiveMinimum: 0, description: 'Parameters, billions' }),
    quant: Type.String({ minLength: 1 }),
    download_gb: Type.Number({ exclusiveMinimum: 0 }),
    kv_kib_per_token: Type.Number({ exclusiveMinimum: 0, description: 'fp16 K+V cache per token, KiB' }),
    vram_gb: Type.Number({ exclusiveMinimum: 0, description: 'VRAM needed at the file default_ctx (or max_ctx if smaller), GB; = models.ts sizing' }),
    max_ctx: Type.Optional(Type.Integer({ minimum: 128 })),
  },
  closed,
);
export type ModelEntry = Static<typeof ModelEntry>;

export const ModelsFile = Type.Object(
  {
    source: Type.String({ minLength: 1 }),
    fetched_at: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}' }),
    notes: Type.Optional(Type.String()),
    default_ctx: Type.Integer({ minimum: 128 }),
    models: Type.Array(ModelEntry, { minItems: 1 }),
  },
  closed,
);
export type ModelsFile = Static<typeof ModelsFile>;
