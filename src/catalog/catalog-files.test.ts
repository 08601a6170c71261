import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCatalogFile, DATA_DIR, fileOffers, loadOffers } from './load.js';
import { loadModels, sizeModel } from './models.js';
import type { CatalogFile } from './schema.js';

const dir = join(DATA_DIR, 'catalog');
const read = (n: string) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as CatalogFile;

describe('catalog data files', () => {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));

  test('there is a file for every provider', () => {
    assert.deepEqual(names.sort(), ['aws.json', 'exoscale.json', 'gcp.json', 'hetzner.json', 'local.json', 'oci.json']);
  });

  for (const n of names) {
    test(`${n} matches the schema, names its source and date, prices every type somewhere`, () => {
      const f = checkCatalogFile(read(n), n);
      assert.equal(`${f.provider}.json`, n);
      assert.ok(f.source.length > 3);
      assert.ok(!Number.isNaN(Date.parse(f.fetched_at)));
      if (f.dynamic !== 'host') assert.ok(f.instance_types.length > 0);
      for (const t of f.instance_types) assert.ok(Object.keys(t.prices).length > 0, `${t.name} has no region`);
    });
  }

  test('a broken file is rejected with the path of the problem', () => {
    const f = read('aws.json');
    const bad = structuredClone(f) as any;
    bad.instance_types[0].vcpus = 'four';
    assert.throws(() => checkCatalogFile(bad, 'aws.json'), /aws\.json: \/instance_types\/0\/vcpus/);
    const orphan = structuredClone(f) as any;
    orphan.instance_types[0].prices['mars-1'] = { on_demand: 1, spot: null };
    assert.throws(() => checkCatalogFile(orphan, 'aws.json'), /mars-1, which is not in regions/);
  });

  test('AWS covers the required families in 4+ regions', () => {
    const f = read('aws.json');
    for (const fam of ['g4dn', 'g5', 'g6', 'g6e', 'p4d', 'p5', 'c7i', 'm7i']) {
      const types = f.instance_types.filter((t) => t.name.startsWith(fam + '.'));
      assert.ok(types.length > 0, fam);
      const regions = new Set(types.flatMap((t) => Object.keys(t.prices)));
      assert.ok(regions.size >= 4, `${fam} in ${regions.size} regions`);
    }
  });

  test('GCP has T4, V100, L4, A100 40/80 and H100 in 4+ regions', () => {
    const f = read('gcp.json');
    const has = (name: string, vram?: number) =>
      new Set(f.instance_types.filter((t) => t.gpu?.name === name && (!vram || t.gpu.vram_gb === vram)).flatMap((t) => Object.keys(t.prices)));
    for (const [g, v] of [['T4'], ['V100'], ['L4'], ['A100', 40], ['A100', 80], ['H100']] as Array<[string, number?]>) {
      assert.ok(has(g, v).size >= 4, `${g} ${v ?? ''}`);
    }
  });

  test('OCI has its GPU shapes and the Always Free shapes at price 0', () => {
    const f = read('oci.json');
    const by = new Map(f.instance_types.map((t) => [t.name, t]));
    for (const s of ['VM.GPU.A10.1', 'VM.GPU.A10.2', 'BM.GPU.H100.8']) assert.ok(by.has(s), s);
    assert.ok(f.instance_types.some((t) => t.name.startsWith('BM.GPU') && t.gpu?.name === 'A100'));
    for (const s of ['VM.Standard.A1.Flex', 'VM.Standard.E2.1.Micro']) {
      assert.ok(Object.values(by.get(s)!.prices).every((p) => p.on_demand === 0), s);
    }
  });

  test('Hetzner has shared and dedicated, x86 and Arm families', () => {
    const f = read('hetzner.json');
    assert.ok(f.instance_types.some((t) => t.cpu_type === 'shared' && t.arch === 'arm64'));
    assert.ok(f.instance_types.some((t) => t.cpu_type === 'shared' && t.arch === 'x86_64'));
    assert.ok(f.instance_types.some((t) => t.cpu_type === 'dedicated'));
  });

  test('EUR files are converted to USD in offers', () => {
    const f = read('hetzner.json');
    const o = fileOffers(f).find((x) => x.instanceType === 'cx22' && x.region === 'fsn1')!;
    assert.equal(o.pricePerHour, Math.round(f.instance_types.find((t) => t.name === 'cx22')!.prices.fsn1!.on_demand * f.usd_per_unit * 1e6) / 1e6);
  });

  test('the full catalog has hundreds of offers, each unique', () => {
    const offers = loadOffers();
    assert.ok(offers.length > 500);
    const keys = new Set(offers.map((o) => `${o.provider}/${o.region}/${o.instanceType}`));
    assert.equal(keys.size, offers.length);
  });
});

describe('models.json', () => {
  test('has at least 40 tags of the required families, each sizeable', () => {
    const { file } = loadModels();
    assert.ok(file.models.length >= 40);
    for (const fam of ['llama3.1', 'llama3.2', 'qwen2.5', 'qwen2.5-coder', 'mistral', 'mixtral', 'gemma2', 'gemma3', 'phi3', 'phi4', 'deepseek-r1', 'codellama', 'granite3.1-dense', 'nomic-embed-text']) {
      assert.ok(file.models.some((m) => m.tag.split(':')[0] === fam), fam);
    }
    for (const m of file.models) {
      const s = sizeModel(m.tag);
      assert.equal(s.source, 'catalog');
      assert.equal(s.vramGb, m.vram_gb, `${m.tag}: vram_gb in the file matches the sizing rule`);
      assert.ok(s.vramGb > m.download_gb, `${m.tag} needs more VRAM than its download`);
    }
  });
});
