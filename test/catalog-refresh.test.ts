/**
 * The price refreshers against recorded answers of each provider's pricing API, served
 * by a local HTTP server that also checks how the request was made (auth, paths, paging).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, readFile, copyFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { refreshCatalog } from '../src/catalog/refresh/index.js';
import { parseAwsPriceLists } from '../src/catalog/refresh/aws.js';
import { parseGcpSkus } from '../src/catalog/refresh/gcp.js';
import { parseHetzner } from '../src/catalog/refresh/hetzner.js';
import { parseExoscale, exoscaleAuthorization } from '../src/catalog/refresh/exoscale.js';
import { parseOciPriceList } from '../src/catalog/refresh/oci.js';
import { checkCatalogFile, DATA_DIR, fileOffers } from '../src/catalog/load.js';
import type { CatalogFile } from '../src/catalog/schema.js';

const FX = resolve(import.meta.dirname, 'fixtures/pricing');
const fx = (n: string) => JSON.parse(readFileSync(join(FX, n), 'utf8'));
const shipped = (p: string) => JSON.parse(readFileSync(join(DATA_DIR, 'catalog', `${p}.json`), 'utf8')) as CatalogFile;
const now = new Date('2025-03-01T12:00:00Z');
const type = (f: CatalogFile, n: string) => f.instance_types.find((t) => t.name === n)!;

describe('parsers on recorded answers', () => {
  test('AWS GetProducts: Linux shared on-demand, gp3 disk, GPU from the family, spot carried over', () => {
    const f = parseAwsPriceLists([fx('aws-getproducts-page1.json'), fx('aws-getproducts-page2.json')], { previous: shipped('aws'), now });
    checkCatalogFile(f, 'aws');
    assert.equal(f.fetched_at, '2025-03-01');
    const g4 = type(f, 'g4dn.xlarge');
    assert.deepEqual(g4.gpu, { name: 'T4', count: 1, vram_gb: 16 });
    assert.equal(g4.prices['us-east-1']!.on_demand, 0.526, 'the Windows SKU is ignored');
    assert.equal(g4.prices['eu-west-1']!.on_demand, 0.587);
    assert.equal(g4.prices['us-east-1']!.spot, shipped('aws').instance_types.find((t) => t.name === 'g4dn.xlarge')!.prices['us-east-1']!.spot);
    assert.deepEqual(type(f, 'g6.12xlarge').gpu, { name: 'L4', count: 4, vram_gb: 24 });
    assert.equal(type(f, 'm7g.large').arch, 'arm64');
    assert.equal(type(f, 'p5.48xlarge').memory_gib, 2048);
    assert.deepEqual(f.regions, [{ name: 'us-east-1', disk_price_per_gb_month: 0.08 }, { name: 'eu-west-1', disk_price_per_gb_month: 0.088 }]);
  });

  test('GCP skus: machine types composed from core, RAM and GPU rates', () => {
    const f = parseGcpSkus([fx('gcp-skus-page1.json'), fx('gcp-skus-page2.json')], { now });
    checkCatalogFile(f, 'gcp');
    const n1t4 = type(f, 'n1-standard-4+nvidia-tesla-t4x1');
    assert.deepEqual(n1t4.prices['us-central1'], { on_demand: 0.539999, spot: Math.round((4 * 0.00685 + 15 * 0.000918 + 0.14) * 1e6) / 1e6 });
    const g2 = type(f, 'g2-standard-4');
    assert.equal(g2.prices['us-central1']!.on_demand, Math.round((4 * 0.024988 + 16 * 0.002928 + 0.56) * 1e6) / 1e6);
    assert.equal(g2.prices['us-central1']!.spot, null, 'no G2 spot SKU in the answer');
    assert.ok(g2.prices['europe-west4']);
    assert.equal(f.instance_types.find((t) => t.name === 'a3-highgpu-8g'), undefined, 'no A3 SKUs, no A3 offers');
    assert.equal(f.regions.find((r) => r.name === 'europe-west4')!.disk_price_per_gb_month, 0.11);
  });

  test('Hetzner server types and pricing: EUR net, deprecated types dropped', () => {
    const f = parseHetzner(fx('hetzner-server-types.json'), fx('hetzner-pricing.json'), { previous: shipped('hetzner'), now });
    checkCatalogFile(f, 'hetzner');
    assert.equal(f.currency, 'EUR');
    assert.deepEqual(f.instance_types.map((t) => t.name), ['cx22', 'cax11', 'cpx11', 'ccx13']);
    assert.equal(type(f, 'cax11').arch, 'arm64');
    assert.equal(type(f, 'ccx13').cpu_type, 'dedicated');
    assert.equal(type(f, 'cpx11').prices.ash!.on_demand, 0.0082);
    assert.equal(f.regions[0]!.disk_price_per_gb_month, 0.044);
    assert.equal(f.egress_usd_per_gb, 0.001);
    assert.deepEqual(f.regions.map((r) => r.name), ['fsn1', 'nbg1', 'hel1', 'ash'], 'previous region order kept');
  });

  test('Exoscale instance types and price list: GPU from the family, memory from bytes', () => {
    const f = parseExoscale(fx('exoscale-instance-types.json'), fx('exoscale-pricing.json'), { previous: shipped('exoscale'), now });
    checkCatalogFile(f, 'exoscale');
    assert.deepEqual(type(f, 'gpu3.small').gpu, { name: 'A40', count: 1, vram_gb: 48 });
    assert.equal(type(f, 'gpu3.small').memory_gib, 56);
    assert.deepEqual(Object.keys(type(f, 'gpua5000.small').prices), ['at-vie-2']);
    assert.equal(type(f, 'standard.small').prices['ch-gva-2']!.on_demand, 0.01875);
    assert.equal(f.instance_types.find((t) => t.name === 'storage.large'), undefined);
  });

  test('OCI price list: shapes from parts, free shapes at 0, same price in every region', () => {
    const f = parseOciPriceList(fx('oci-products.json'), { previous: shipped('oci'), now });
    checkCatalogFile(f, 'oci');
    assert.equal(type(f, 'BM.GPU.H100.8').prices['us-ashburn-1']!.on_demand, 80);
    assert.equal(type(f, 'VM.GPU.A10.2').prices['eu-frankfurt-1']!.on_demand, 4);
    assert.equal(type(f, 'VM.Standard.E4.Flex.2').prices['ap-tokyo-1']!.on_demand, 0.074);
    assert.equal(type(f, 'VM.Standard.A1.Flex.8').prices['ap-tokyo-1']!.on_demand, 0.152, 'the paid tier, not the free one');
    assert.equal(type(f, 'VM.Standard.A1.Flex').prices['us-ashburn-1']!.on_demand, 0);
    assert.equal(f.regions[0]!.disk_price_per_gb_month, 0.0255);
  });

  test('an answer of the wrong shape is a one-line error', () => {
    assert.throws(() => parseAwsPriceLists([{} as any]), /aws: GetProducts answer has no PriceList/);
    assert.throws(() => parseOciPriceList({} as any), /oci: price list answer has no items/);
    assert.throws(() => parseGcpSkus([{ skus: [] }]), /gcp: the pricing answer priced no instance type/);
  });
});

describe('aloft catalog refresh against a recorded-answer server', () => {
  let server: Server;
  let base = '';
  const seen: string[] = [];
  const env = {
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret-aws',
    GCP_API_KEY: 'gcp-key-123',
    HCLOUD_TOKEN: 'hz-token',
    EXOSCALE_API_KEY: 'EXOkey',
    EXOSCALE_API_SECRET: 'exo-secret',
  };
  const body = (req: IncomingMessage) =>
    new Promise<string>((res) => {
      let s = '';
      req.on('data', (c) => (s += c)).on('end', () => res(s));
    });

  before(async () => {
    server = createServer(async (req, res) => {
      const url = new URL(req.url!, 'http://x');
      const text = await body(req);
      const send = (code: number, doc: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      };
      const [p, rest] = [url.pathname.split('/')[1], url.pathname];
      seen.push(`${req.method} ${rest}`);
      if (p === 'aws') {
        if (req.headers['x-amz-target'] !== 'AWSPriceListService.GetProducts') return send(400, { message: 'bad target' });
        if (!/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE\/\d{8}\/us-east-1\/pricing\/aws4_request/.test(String(req.headers.authorization))) return send(403, { message: 'bad signature' });
        const q = JSON.parse(text);
        if (q.ServiceCode !== 'AmazonEC2') return send(400, { message: 'service' });
        return send(200, fx(q.NextToken === 'page2token' ? 'aws-getproducts-page2.json' : 'aws-getproducts-page1.json'));
      }
      if (p === 'gcp') {
        if (rest !== '/gcp/v1/services/6F81-5844-456A/skus' || url.searchParams.get('key') !== 'gcp-key-123') return send(403, { error: { message: 'API key not valid' } });
        return send(200, fx(url.searchParams.get('pageToken') === 'p2' ? 'gcp-skus-page2.json' : 'gcp-skus-page1.json'));
      }
      if (p === 'hetzner') {
        if (req.headers.authorization !== 'Bearer hz-token') return send(401, { error: { code: 'unauthorized', message: 'unable to authenticate' } });
        if (rest === '/hetzner/server_types') return send(200, fx('hetzner-server-types.json'));
        if (rest === '/hetzner/pricing') return send(200, fx('hetzner-pricing.json'));
      }
      if (p === 'exoscale') {
        if (rest === '/exoscale/pricing/opencompute') return send(200, fx('exoscale-pricing.json'));
        const m = /expires=(\d+)/.exec(String(req.headers.authorization));
        const want = m && exoscaleAuthorization('EXOkey', 'exo-secret', 'GET', new URL(`http://x${req.url}`), '', Number(m[1]));
        if (!want || req.headers.authorization !== want) return send(403, { message: 'invalid signature' });
        if (rest === '/exoscale/instance-type') return send(200, fx('exoscale-instance-types.json'));
      }
      if (p === 'oci' && rest === '/oci/pls/apex/cetools/api/v1/products/' && url.searchParams.get('currencyCode') === 'USD') return send(200, fx('oci-products.json'));
      send(404, { message: 'not found' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const endpoints = () => Object.fromEntries(['aws', 'gcp', 'hetzner', 'exoscale', 'oci'].map((p) => [p, `${base}/${p}`]));

  async function tmpCatalog(t: { after: (fn: () => Promise<void>) => void }) {
    const dir = await mkdtemp(join(tmpdir(), 'aloft-cat-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    for (const p of ['aws', 'gcp', 'hetzner', 'exoscale', 'oci', 'local']) await copyFile(join(DATA_DIR, 'catalog', `${p}.json`), join(dir, `${p}.json`));
    return dir;
  }

  test('refreshes every provider and writes valid files', async (t) => {
    const dir = await tmpCatalog(t);
    const out = await refreshCatalog({ dir, env, endpoints: endpoints(), now });
    assert.deepEqual(out.map((r) => [r.provider, r.status]), [['aws', 'refreshed'], ['gcp', 'refreshed'], ['exoscale', 'refreshed'], ['oci', 'refreshed'], ['hetzner', 'refreshed']]);
    for (const p of ['aws', 'gcp', 'hetzner', 'exoscale', 'oci']) {
      const f = checkCatalogFile(JSON.parse(await readFile(join(dir, `${p}.json`), 'utf8')), p);
      assert.equal(f.fetched_at, '2025-03-01', p);
      assert.ok(fileOffers(f).length > 0, p);
    }
    assert.ok(seen.some((s) => s === 'GET /hetzner/pricing'));
    assert.ok(seen.filter((s) => s === 'POST /aws/').length >= 20, 'two pages per query, instance and storage queries per region');
  });

  test('without credentials: one provider is an error naming the variables, all skips it', async (t) => {
    const dir = await tmpCatalog(t);
    await assert.rejects(refreshCatalog({ dir, provider: 'hetzner', env: {}, endpoints: endpoints() }), /hetzner: no credentials; set HCLOUD_TOKEN/);
    const out = await refreshCatalog({ dir, env: {}, endpoints: endpoints(), now });
    assert.deepEqual(out.map((r) => r.status), ['skipped', 'skipped', 'skipped', 'refreshed', 'skipped']);
    assert.equal(out[0]!.reason, 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    await assert.rejects(refreshCatalog({ dir, provider: 'local', env }), /nothing to refresh/);
    await assert.rejects(refreshCatalog({ dir, provider: 'azure', env }), /unknown provider "azure"/);
  });

  test('a rejected credential is one line without the secret', async (t) => {
    const dir = await tmpCatalog(t);
    const err = await refreshCatalog({ dir, provider: 'gcp', env: { GCP_API_KEY: 'wrong-key' }, endpoints: endpoints() }).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /^gcp Cloud Billing skus: HTTP 403 from 127\.0\.0\.1:\d+: .*API key not valid/);
    assert.doesNotMatch(err.message, /wrong-key/);
    const before = await readFile(join(dir, 'gcp.json'), 'utf8');
    assert.equal(before, readFileSync(join(DATA_DIR, 'catalog', 'gcp.json'), 'utf8'), 'the file is untouched');
  });
});

test('the Exoscale signature follows the documented message layout', async () => {
  const { createHmac } = await import('node:crypto');
  const url = new URL('https://api-ch-gva-2.exoscale.com/v2/resource/a02baf5a-a3e4-49a0-857b-8a08d276c1c0?p1=v1&p2=v2');
  const message = 'GET /v2/resource/a02baf5a-a3e4-49a0-857b-8a08d276c1c0\n\nv1v2\n\n1599140767';
  const sig = createHmac('sha256', 'secret').update(message).digest('base64');
  assert.equal(
    exoscaleAuthorization('EXO29147e9f89102b7ac1e88514', 'secret', 'GET', url, '', 1599140767),
    `EXO2-HMAC-SHA256 credential=EXO29147e9f89102b7ac1e88514,signed-query-args=p1;p2,expires=1599140767,signature=${sig}`,
  );
});
