/**
 * AWS: the Price List Query API (`AWSPriceListService.GetProducts`, JSON 1.1 over a
 * SigV4-signed POST to api.pricing.us-east-1.amazonaws.com). One query per region for
 * the instance types Aloft lists, one for gp3 storage. Each PriceList entry is a JSON
 * string: { product: { attributes }, terms: { OnDemand: { …priceDimensions… } } }.
 * The Pricing API has no spot prices: those carry over from the previous file.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { CatalogFile, CatalogInstanceType } from '../schema.js';
import { assemble, carrySpot, httpJson, missing, today, RefreshError, type RefreshContext, type Refresher } from './common.js';

export const AWS_PRICING_API = 'https://api.pricing.us-east-1.amazonaws.com';

/** GPU model and VRAM per GPU by instance family (the Pricing API gives only counts). */
export const AWS_GPU_FAMILIES: Record<string, { name: string; vramGb: number }> = {
  g4dn: { name: 'T4', vramGb: 16 },
  g5: { name: 'A10G', vramGb: 24 },
  g6: { name: 'L4', vramGb: 24 },
  g6e: { name: 'L40S', vramGb: 48 },
  p4d: { name: 'A100', vramGb: 40 },
  p4de: { name: 'A100', vramGb: 80 },
  p5: { name: 'H100', vramGb: 80 },
  p5e: { name: 'H200', vramGb: 141 },
};

const DEFAULT_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1'];

function onDemandUsd(terms: any): number | undefined {
  for (const term of Object.values<any>(terms?.OnDemand ?? {})) {
    for (const dim of Object.values<any>(term.priceDimensions ?? {})) {
      const v = Number(dim?.pricePerUnit?.USD);
      if (Number.isFinite(v)) return v;
    }
  }
  return undefined;
}

/** Turns GetProducts answers (any number of pages, any regions) into the catalog file. */
export function parseAwsPriceLists(pages: Array<{ PriceList: string[] }>, ctx: Pick<RefreshContext, 'previous' | 'now'> = {}): CatalogFile {
  const types = new Map<string, CatalogInstanceType>();
  const disk = new Map<string, number>();
  for (const page of pages) {
    if (!Array.isArray(page?.PriceList)) throw new RefreshError('aws: GetProducts answer has no PriceList');
    for (const raw of page.PriceList) {
      const item = typeof raw === 'string' ? JSON.parse(raw) : raw;
      const a = item.product?.attributes ?? {};
      const price = onDemandUsd(item.terms);
      if (price === undefined || !a.regionCode) continue;
      if (item.product.productFamily === 'Storage') {
        if (a.volumeApiName === 'gp3') disk.set(a.regionCode, price);
        continue;
      }
      if (item.product.productFamily !== 'Compute Instance' || a.operatingSystem !== 'Linux' || a.tenancy !== 'Shared') continue;
      if ((a.preInstalledSw && a.preInstalledSw !== 'NA') || (a.capacitystatus && a.capacitystatus !== 'Used')) continue;
      const name: string = a.instanceType;
      let t = types.get(name);
      if (!t) {
        const fam = AWS_GPU_FAMILIES[name.split('.')[0]!];
        const gpus = Number(a.gpu ?? 0);
        t = {
          name,
          gpu: fam && gpus > 0 ? { name: fam.name, count: gpus, vram_gb: fam.vramGb } : null,
          vcpus: Number(a.vcpu),
          memory_gib: parseFloat(String(a.memory).replace(/,/g, '')),
          arch: /graviton|arm/i.test(`${a.physicalProcessor} ${a.processorArchitecture}`) ? 'arm64' : 'x86_64',
          prices: {},
        };
        types.set(name, t);
      }
      t.prices[a.regionCode] = { on_demand: price, spot: null };
    }
  }
  const list = [...types.values()];
  const order = ctx.previous?.instance_types.map((t) => t.name) ?? [];
  list.sort((x, y) => rank(order, x.name) - rank(order, y.name) || (x.name < y.name ? -1 : 1));
  carrySpot(list, ctx.previous);
  const regionOrder = ctx.previous?.regions.map((r) => r.name) ?? DEFAULT_REGIONS;
  const regions = [...new Set(list.flatMap((t) => Object.keys(t.prices)))].sort((x, y) => rank(regionOrder, x) - rank(regionOrder, y) || (x < y ? -1 : 1));
  return assemble(
    {
      provider: 'aws',
      currency: 'USD',
      usd_per_unit: 1,
      source: `${AWS_PRICING_API} (AWS Price List Query API, GetProducts AmazonEC2)`,
      fetched_at: today(ctx),
      notes: 'Refreshed from the AWS Price List Query API: Linux, shared tenancy, on-demand. Spot prices are not in that API and carry over from the previous file. Disk: gp3 per GB-month.',
      egress_usd_per_gb: ctx.previous?.egress_usd_per_gb ?? 0.09,
    },
    regions.map((name) => ({ name, disk_price_per_gb_month: disk.get(name) ?? ctx.previous?.regions.find((r) => r.name === name)?.disk_price_per_gb_month ?? 0.08 })),
    list,
  );
}

const rank = (order: string[], x: string) => (order.includes(x) ? order.indexOf(x) : order.length);

const term = (Field: string, Value: string) => ({ Type: 'TERM_MATCH', Field, Value });

export const awsRefresher: Refresher = {
  provider: 'aws',
  missingCredentials: (env) => missing(env, ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']),
  async refresh(ctx) {
    const base = (ctx.endpoint ?? ctx.env.ALOFT_AWS_PRICING_URL ?? AWS_PRICING_API).replace(/\/$/, '');
    const url = new URL(base + '/');
    const signer = new SignatureV4({
      service: 'pricing',
      region: 'us-east-1',
      sha256: Sha256,
      credentials: {
        accessKeyId: ctx.env.AWS_ACCESS_KEY_ID!,
        secretAccessKey: ctx.env.AWS_SECRET_ACCESS_KEY!,
        sessionToken: ctx.env.AWS_SESSION_TOKEN || undefined,
      },
    });
    const call = async (filters: object[]) => {
      const pages: Array<{ PriceList: string[] }> = [];
      let NextToken: string | undefined;
      do {
        const body = JSON.stringify({ ServiceCode: 'AmazonEC2', Filters: filters, FormatVersion: 'aws_v1', MaxResults: 100, ...(NextToken ? { NextToken } : {}) });
        const req = await signer.sign({
          method: 'POST',
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port ? Number(url.port) : undefined,
          path: url.pathname,
          headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSPriceListService.GetProducts' },
          body,
        });
        const page = await httpJson(ctx, url.toString(), { method: 'POST', headers: req.headers as Record<string, string>, body }, 'aws GetProducts');
        pages.push(page);
        NextToken = page.NextToken || undefined;
      } while (NextToken);
      return pages;
    };
    const regions = ctx.previous?.regions.map((r) => r.name) ?? DEFAULT_REGIONS;
    const wanted = ctx.previous?.instance_types.map((t) => t.name);
    if (!wanted?.length) throw new RefreshError('aws: no previous catalog file to take the instance types from');
    const pages: Array<{ PriceList: string[] }> = [];
    for (const region of regions) {
      pages.push(
        ...(await call([
          term('regionCode', region),
          term('operatingSystem', 'Linux'),
          term('tenancy', 'Shared'),
          term('preInstalledSw', 'NA'),
          term('capacitystatus', 'Used'),
          { Type: 'ANY_OF', Field: 'instanceType', Value: wanted.join(',') },
        ])),
      );
      pages.push(...(await call([term('regionCode', region), term('productFamily', 'Storage'), term('volumeApiName', 'gp3')])));
    }
    return parseAwsPriceLists(pages, ctx);
  },
};
