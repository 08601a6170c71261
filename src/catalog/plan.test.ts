import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { planSpec, planOffers, cheapestPerProvider, PlanError, globToRegExp, CPU_ONLY_MAX_GB } from './plan.js';
import { parseRequirements } from './requirements.js';
import { loadOffers } from './load.js';
import type { Offer } from './types.js';
import type { Spec } from '../spec/schema.js';

const o = (p: Partial<Offer> & { instanceType: string }): Offer => ({
  provider: 'aws',
  region: 'us-east-1',
  gpu: null,
  vcpus: 4,
  memoryGb: 16,
  arch: 'x86_64',
  pricePerHour: 1,
  spotPricePerHour: null,
  diskPricePerGbMonth: 0.073,
  ...p,
});
const L4 = { name: 'L4', count: 1, vramGb: 24 };
const T4 = { name: 'T4', count: 1, vramGb: 16 };

const offers: Offer[] = [
  o({ instanceType: 'g6.xlarge', gpu: L4, pricePerHour: 0.8, spotPricePerHour: 0.35 }),
  o({ instanceType: 'g6.xlarge', region: 'eu-west-1', gpu: L4, pricePerHour: 0.9, spotPricePerHour: 0.4 }),
  o({ instanceType: 'g6.12xlarge', gpu: { ...L4, count: 4 }, pricePerHour: 0.8, vcpus: 48 }),
  o({ instanceType: 'g4dn.xlarge', gpu: T4, pricePerHour: 0.5, spotPricePerHour: 0.2 }),
  o({ provider: 'gcp', region: 'europe-west4', instanceType: 'g2-standard-4', gpu: L4, pricePerHour: 0.8 }),
  o({ provider: 'hetzner', region: 'fsn1', instanceType: 'cax11', arch: 'arm64', vcpus: 2, memoryGb: 4, pricePerHour: 0.006 }),
  o({ provider: 'hetzner', region: 'fsn1', instanceType: 'ccx33', vcpus: 8, memoryGb: 32, pricePerHour: 0.08 }),
];

const svc = (resources?: object, placement?: object): Spec => ({ kind: 'service', name: 'web', command: 'x', resources, placement }) as Spec;
const ollama = (model: string, resources?: object, placement?: object): Spec =>
  ({ kind: 'ollama', name: 'llm', model, resources, placement }) as Spec;
const names = (p: { offers: Offer[] }) => p.offers.map((x) => `${x.provider}/${x.region}/${x.instanceType}`);

describe('planSpec', () => {
  test('sorts by price; ties: fewer GPUs, then region order, then names', () => {
    const regions = ['us-*', 'europe-*', 'eu-*'];
    const p = planSpec(svc({ gpu: 'L4:1' }, { regions }), { offers });
    // Three L4 offers at $0.80: one GPU before four; among those, us-* before europe-* (the order of placement.regions).
    assert.deepEqual(names(p), ['aws/us-east-1/g6.xlarge', 'gcp/europe-west4/g2-standard-4', 'aws/us-east-1/g6.12xlarge', 'aws/eu-west-1/g6.xlarge']);
    const flipped = planSpec(svc({ gpu: 'L4:1' }, { regions: ['europe-*', 'us-*', 'eu-*'] }), { offers });
    assert.deepEqual(names(flipped).slice(0, 2), ['gcp/europe-west4/g2-standard-4', 'aws/us-east-1/g6.xlarge']);
    const again = planSpec(svc({ gpu: 'L4:1' }, { regions }), { offers: [...offers].reverse() });
    assert.deepEqual(names(again), names(p), 'input order does not change the plan');
  });

  test('hourly includes disks; monthly is 730 hours', () => {
    const p = planSpec(svc({ gpu: 'T4', disk: 100 }), { offers });
    const x = p.offers[0]!;
    assert.equal(x.hourlyUsd, Math.round((0.5 + (100 * 0.073) / 730) * 1e6) / 1e6);
    assert.equal(x.monthlyUsd, Math.round(x.hourlyUsd * 730 * 1e6) / 1e6);
    assert.equal(p.diskGb, 100);
  });

  test('every excluded offer has its reason', () => {
    const p = planSpec(svc({ gpu: 'L4:2' }), { offers });
    assert.deepEqual(names(p), ['aws/us-east-1/g6.12xlarge']);
    const why = new Map(p.excluded.map((e) => [`${e.offer.provider}/${e.offer.instanceType}`, e.reason]));
    assert.equal(why.get('aws/g4dn.xlarge'), 'GPU T4, L4:2 required');
    assert.equal(why.get('hetzner/cax11'), 'no GPU, L4:2 required');
    assert.equal(why.get('gcp/g2-standard-4'), '1×L4 < 2 GPUs required');
    assert.equal(p.excluded.length + p.offers.length, offers.length);
  });

  test('vram, cpus, memory and arch', () => {
    assert.deepEqual(names(planSpec(svc({ gpu: '20GB+' }, { providers: ['aws'] }), { offers })).slice(0, 1), ['aws/us-east-1/g6.xlarge']);
    const p = planSpec(svc({ cpus: '8+', memory: '32GB' }), { offers });
    assert.equal(p.offers[0]!.instanceType, 'ccx33');
    assert.match(p.excluded.find((e) => e.offer.instanceType === 'cax11')!.reason, /2 vCPUs < 8 required/);
    const arm = planSpec(svc({ arch: 'arm64' }), { offers });
    assert.deepEqual(names(arm), ['hetzner/fsn1/cax11']);
    assert.equal(planSpec(svc({ gpu: 'none' }), { offers }).offers.every((x) => x.gpu === null), true);
  });

  test('region globs and providers', () => {
    const p = planSpec(svc({ gpu: 'L4' }, { regions: ['eu-*'] }), { offers });
    assert.deepEqual(names(p), ['aws/eu-west-1/g6.xlarge']);
    assert.equal(p.excluded.find((e) => e.offer.region === 'europe-west4')!.reason, 'region europe-west4 not in eu-*');
    assert.ok(globToRegExp('us-?ast-1').test('us-east-1'));
    assert.ok(!globToRegExp('eu-*').test('xeu-west-1'));
    const g = planSpec(svc({ gpu: 'L4' }, { providers: ['gcp'] }), { offers });
    assert.deepEqual(names(g), ['gcp/europe-west4/g2-standard-4']);
    const conf = planSpec(svc({ gpu: 'L4' }), { offers, providers: ['aws'] });
    assert.ok(conf.offers.every((x) => x.provider === 'aws'));
    assert.ok(conf.excluded.some((e) => e.reason === 'provider gcp is not configured'));
  });

  test('spot uses spot prices and drops offers without a spot market', () => {
    const p = planSpec(svc({ gpu: 'any' }, { spot: true }), { offers });
    assert.deepEqual(names(p), ['aws/us-east-1/g4dn.xlarge', 'aws/us-east-1/g6.xlarge', 'aws/eu-west-1/g6.xlarge']);
    assert.ok(p.offers.every((x) => x.spot));
    assert.ok(p.offers[0]!.hourlyUsd < 0.25);
    assert.equal(p.excluded.find((e) => e.offer.instanceType === 'g2-standard-4')!.reason, 'no spot market for g2-standard-4');
  });

  test('price cap', () => {
    const p = planSpec(svc({ gpu: 'any' }, { max_hourly_usd: 0.6 }), { offers });
    assert.deepEqual(names(p), ['aws/us-east-1/g4dn.xlarge']);
    assert.equal(p.excluded.find((e) => e.offer.instanceType === 'g2-standard-4')!.reason, '$0.80/h > max $0.60/h');
  });

  test('ollama: the model must fit in VRAM, small models may run on CPU', () => {
    // qwen2.5:32b needs ~23.5 GB: T4 (16 GB) is out, L4 (24 GB) is in.
    const big = planSpec(ollama('qwen2.5:32b'), { offers });
    assert.ok(big.vramNeedGb! > 16 && big.vramNeedGb! <= 24);
    assert.ok(big.offers.every((x) => x.gpu && x.gpu.count * x.gpu.vramGb >= big.vramNeedGb!));
    assert.match(big.excluded.find((e) => e.offer.instanceType === 'g4dn.xlarge')!.reason, /^vram 16 GB < 23\.\d GB needed by qwen2.5:32b$/);
    assert.match(big.excluded.find((e) => e.offer.instanceType === 'ccx33')!.reason, /no GPU; qwen2.5:32b needs .* \(CPU-only up to 8 GB\)/);
    // llama3.2:3b is small: the cheapest CPU box that holds it wins.
    const small = planSpec(ollama('llama3.2:3b'), { offers });
    assert.ok(small.vramNeedGb! <= CPU_ONLY_MAX_GB);
    assert.equal(small.offers[0]!.instanceType, 'cax11');
    // A 70B model needs several GPUs' memory together.
    const seventy = planSpec(ollama('llama3.1:70b'), { offers });
    assert.deepEqual(names(seventy), ['aws/us-east-1/g6.12xlarge']);
    assert.match(seventy.excluded.find((e) => e.offer.instanceType === 'g6.xlarge')!.reason, /^vram 24 GB < 4\d\.\d GB needed/);
    // An explicit gpu still has to hold the model.
    assert.throws(() => planSpec(ollama('llama3.1:70b', { gpu: 'L4:1' }, { providers: ['gcp'] }), { offers }), (e: PlanError) => e.constraint === 'model');
  });

  test('ollama: an unsizeable tag needs an explicit gpu', () => {
    assert.throws(() => planSpec(ollama('mystery:latest'), { offers }), (e: PlanError) => e.constraint === 'model' && /resources\.gpu/.test(e.message));
    const p = planSpec(ollama('mystery:latest', { gpu: 'L4' }), { offers });
    assert.match(p.warnings![0]!, /VRAM not checked/);
  });

  test('an unknown GPU name suggests the nearest', () => {
    assert.throws(() => planSpec(svc({ gpu: 'L5:1' }), { offers }), (e: PlanError) => e.message === 'unknown GPU "L5:1" in resources.gpu; did you mean L4?' && e.constraint === 'resources.gpu');
    assert.throws(() => planSpec(svc({ gpu: 'H1OO' }), { offers }), /did you mean H100\?/);
    assert.throws(() => planSpec(svc({ gpu: 'bogus-card-xyz' }), { offers }), (e: Error) => e.message === 'unknown GPU "bogus-card-xyz" in resources.gpu');
  });

  test('impossible constraints say which constraint emptied the plan', () => {
    assert.throws(
      () => planSpec(svc({ gpu: 'L4' }, { regions: ['eu-*'], max_hourly_usd: 0.5 }), { offers }),
      (e: PlanError) =>
        e.constraint === 'placement.max_hourly_usd' &&
        e.message === 'no offer fits: placement.max_hourly_usd excluded the last 1 of 7 offers (cheapest: aws g6.xlarge eu-west-1: $0.90/h > max $0.50/h)' &&
        e.plan!.excluded.length === 7,
    );
    assert.throws(() => planSpec(svc({ gpu: 'H100:8' }), { offers }), (e: PlanError) => e.constraint === 'resources.gpu');
    assert.throws(() => planSpec(svc({ cpus: 1000 }), { offers }), (e: PlanError) => e.constraint === 'resources.cpus');
    assert.throws(() => planSpec(svc({ gpu: 'L4:x:y' }), { offers }), (e: PlanError) => e.constraint === 'resources');
  });

  test('cheapest per provider', () => {
    const p = planSpec(svc({ gpu: 'L4' }), { offers });
    assert.deepEqual(cheapestPerProvider(p).map((x) => `${x.provider}/${x.instanceType}`), ['aws/g6.xlarge', 'gcp/g2-standard-4']);
  });

  test('against the full catalog: deterministic and plausible', () => {
    const all = loadOffers();
    const spec = svc({ gpu: 'A100:8' });
    const a = planSpec(spec, { offers: all });
    const b = planSpec(spec, { offers: all });
    assert.deepEqual(a, b);
    assert.ok(a.offers.every((x) => x.gpu!.name === 'A100' && x.gpu!.count >= 8));
    for (let i = 1; i < a.offers.length; i++) assert.ok(a.offers[i - 1]!.hourlyUsd <= a.offers[i]!.hourlyUsd);
    // OCI's A100s are list-priced below the hyperscalers'.
    assert.equal(a.offers[0]!.provider, 'oci');
    const free = planSpec(svc({ arch: 'arm64', cpus: 4, memory: 24 }, { providers: ['oci'] }), { offers: all });
    assert.equal(free.offers[0]!.instanceType, 'VM.Standard.A1.Flex');
    assert.equal(free.offers[0]!.pricePerHour, 0);
  });

  test('planOffers takes flag-style input', () => {
    const p = planOffers({ req: parseRequirements({ gpu: 'L4' }), placement: { providers: ['gcp'] } }, offers);
    assert.equal(p.offers.length, 1);
  });

  test('local offers only when providers allow them', () => {
    const local = o({ provider: 'local', region: 'local', instanceType: 'host', pricePerHour: 0, diskPricePerGbMonth: 0, vcpus: 2, memoryGb: 4 });
    const p = planSpec(svc({ cpus: 2 }), { offers: [...offers, local] });
    assert.equal(p.offers[0]!.provider, 'local');
    const q = planSpec(svc({ cpus: 2 }, { providers: ['hetzner'] }), { offers: [...offers, local] });
    assert.equal(q.offers[0]!.provider, 'hetzner');
    const r = planSpec(svc({ cpus: 64 }, { providers: ['local', 'aws'] }), { offers: [...offers, local, o({ instanceType: 'c7i.16xlarge', vcpus: 64, memoryGb: 128 })] });
    assert.equal(r.excluded.find((e) => e.offer.provider === 'local')!.reason, '2 vCPUs < 64 required');
  });
});
