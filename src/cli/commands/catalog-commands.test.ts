import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { offersCommand, register as registerOffers } from './offers.js';
import { planCommand, register as registerPlan } from './plan.js';
import { modelsSizeCommand, modelsListCommand, register as registerModels } from './models.js';
import { catalogListCommand, catalogRefreshCommand, register as registerCatalog } from './catalog.js';
import { CliError, EXIT_USAGE, EXIT_RUNTIME } from '../errors.js';

const usage = (re: RegExp) => (e: unknown) => e instanceof CliError && e.exitCode === EXIT_USAGE && re.test(e.message) && !e.message.includes('\n');

describe('aloft offers', () => {
  test('a table of L4 offers in eu regions, cheapest first', async () => {
    const out = await offersCommand({ gpu: 'L4', provider: 'aws,gcp', region: 'eu-*,europe-*' });
    const lines = out.trim().split('\n').filter((l) => !l.startsWith('…'));
    assert.match(lines[0]!, /^PROVIDER\s+REGION\s+TYPE\s+GPU\s+VRAM/);
    assert.ok(lines.slice(1).every((l) => /1×L4|[248]×L4/.test(l) && /(eu-|europe-)/.test(l)));
    assert.match(lines[1]!, /g2-standard-4|g6\.xlarge/);
  });

  test('--json, --vram, --spot and --max-price', async () => {
    const j = JSON.parse(await offersCommand({ vram: '40', spot: true, provider: 'aws,gcp,oci', all: true, json: true }));
    assert.ok(j.count > 0 && j.offers.length === j.count);
    assert.ok(j.offers.every((o: any) => o.gpu.vramGb >= 40 && o.spot));
    for (let i = 1; i < j.offers.length; i++) assert.ok(j.offers[i - 1].hourlyUsd <= j.offers[i].hourlyUsd);
    const capped = JSON.parse(await offersCommand({ gpu: 'any', maxPrice: '0.6', json: true, provider: 'aws,gcp' }));
    assert.ok(capped.offers.every((o: any) => o.pricePerHour <= 0.6));
  });

  test('--model keeps offers with room for the model', async () => {
    const j = JSON.parse(await offersCommand({ model: 'llama3.1:70b', provider: 'aws', json: true }));
    assert.ok(j.vramNeedGb > 40);
    assert.ok(j.offers.every((o: any) => o.gpu.count * o.gpu.vramGb >= j.vramNeedGb));
  });

  test('bad input: exit 2 with one line', async () => {
    await assert.rejects(offersCommand({ gpu: 'L5' }), usage(/^unknown GPU "L5" in resources.gpu; did you mean L4\?$/));
    await assert.rejects(offersCommand({ gpu: 'H100:8', region: 'eu-west-1', provider: 'aws' }), usage(/^no offer fits: resources.gpu/));
    await assert.rejects(offersCommand({ vram: 'lots' }), usage(/--vram lots/));
    await assert.rejects(offersCommand({ arch: 'sparc' }), usage(/--arch sparc/));
    await assert.rejects(offersCommand({ model: 'mystery:latest' }), usage(/cannot size mystery:latest/));
  });
});

describe('aloft plan', () => {
  async function specFile(t: { after: (fn: () => Promise<void>) => void }, yaml: string) {
    const dir = await mkdtemp(join(tmpdir(), 'aloft-plan-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const p = join(dir, 'aloft.yaml');
    await writeFile(p, yaml);
    return p;
  }

  test('ranked offers, estimate and exclusions', async (t) => {
    const p = await specFile(t, 'kind: ollama\nname: coder\nmodel: qwen2.5-coder:32b\nplacement:\n  providers: [aws, gcp, oci]\n');
    const out = await planCommand(p, {});
    assert.match(out, /^#\s+PROVIDER/);
    assert.match(out, /Cheapest: (aws|gcp|oci) \S+ in \S+, \$[\d.]+\/h, about \$[\d.]+\/month/);
    assert.match(out, /Model needs about 2\d\.\d GB of VRAM/);
    assert.match(out, /Excluded \d+ offers:\n\s+model: \d+ \(e\.g\. .*vram 16 GB < 2\d\.\d GB needed by qwen2\.5-coder:32b\)/);
    const j = JSON.parse(await planCommand(p, { json: true }));
    assert.ok(j.offers.length > 0 && j.excluded.length > 0);
    assert.deepEqual(j.cheapestPerProvider.map((o: any) => o.provider).sort(), ['aws', 'gcp', 'oci']);
  });

  test('impossible spec: exit 2 naming the constraint', async (t) => {
    const p = await specFile(t, 'kind: service\nname: web\ncommand: x\nresources: { gpu: "H100:8" }\nplacement: { providers: [aws], max_hourly_usd: 5 }\n');
    await assert.rejects(planCommand(p, {}), usage(/^no offer fits: placement.max_hourly_usd excluded the last \d+ of \d+ offers/));
  });

  test('a bad spec file is exit 2', async (t) => {
    await assert.rejects(planCommand('/nonexistent/aloft.yaml', {}), usage(/\/nonexistent\/aloft.yaml: file not found/));
    const p = await specFile(t, 'kind: service\nname: web\n');
    await assert.rejects(planCommand(p, {}), usage(/aloft\.yaml:1:1: command: missing required field/));
  });
});

describe('aloft models', () => {
  test('size: text and json', async () => {
    assert.match(await modelsSizeCommand('llama3.1:8b', {}), /^llama3\.1:8b: 8\.03B parameters, q4_K_M, download 4\.9 GB \(from the model catalog\)\nVRAM at 4096 tokens of context: 6\.4 GB/);
    const j = JSON.parse(await modelsSizeCommand('foo:13b', { ctx: '8192', json: true }));
    assert.equal(j.source, 'estimate');
    assert.equal(j.ctx, 8192);
    await assert.rejects(modelsSizeCommand('foo', {}), usage(/cannot size foo/));
    await assert.rejects(modelsSizeCommand('llama3.1:8b', { ctx: 'big' }), usage(/--ctx big/));
  });

  test('list', async () => {
    const out = await modelsListCommand({});
    assert.match(out, /^TAG\s+PARAMS\s+QUANT\s+DOWNLOAD\s+CTX\s+VRAM/);
    assert.ok(out.trim().split('\n').length > 40);
  });
});

describe('aloft catalog', () => {
  test('list shows every file with its date and source', async () => {
    const rows = JSON.parse(await catalogListCommand({ json: true }));
    assert.deepEqual(rows.map((r: any) => r.provider), ['aws', 'exoscale', 'gcp', 'hetzner', 'local', 'oci']);
    assert.ok(rows.every((r: any) => r.fetched_at && r.source));
  });

  test('refresh without credentials is a runtime error naming the variables; unknown provider is exit 2', async () => {
    await assert.rejects(catalogRefreshCommand({ provider: 'aws' }, {}), (e: unknown) => e instanceof CliError && e.exitCode === EXIT_RUNTIME && /set AWS_ACCESS_KEY_ID/.test(e.message));
    await assert.rejects(catalogRefreshCommand({ provider: 'azure' }, {}), usage(/unknown provider "azure"/));
    await assert.rejects(catalogRefreshCommand({ provider: 'local' }, {}), usage(/nothing to refresh/));
  });
});

test('register() adds the commands to a commander program', () => {
  const program = new Command();
  for (const r of [registerOffers, registerPlan, registerModels, registerCatalog]) r(program);
  assert.deepEqual(program.commands.map((c) => c.name()).sort(), ['catalog', 'models', 'offers', 'plan']);
});
