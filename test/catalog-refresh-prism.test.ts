/**
 * The Hetzner and Exoscale price refreshers against Prism serving the official OpenAPI documents:
 * a request the real API would reject (path, query, auth) fails here, and the parser
 * reads answers in the documented shape.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { hetznerRefresher } from '../src/catalog/refresh/hetzner.js';
import { exoscaleRefresher } from '../src/catalog/refresh/exoscale.js';
import { checkCatalogFile } from '../src/catalog/load.js';

const root = resolve(import.meta.dirname, '..');
const specs = resolve(root, '../shared/cloud-specs');
const children: ChildProcess[] = [];
const mocks: Record<string, { base: string; log: string }> = {};

function startPrism(file: string): Promise<{ base: string; log: string }> {
  const child = spawn(resolve(root, 'node_modules/.bin/prism'), ['mock', '-h', '127.0.0.1', '-p', '0', resolve(specs, file)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const state = { base: '', log: '' };
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`prism did not start: ${state.log.slice(-500)}`)), 120_000);
    const onData = (c: Buffer) => {
      state.log += c;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(state.log);
      if (m && !state.base) {
        clearTimeout(timer);
        state.base = m[1]!;
        res(state);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => rej(new Error(`prism exited ${code}: ${state.log.slice(-500)}`)));
  });
}

before(async () => {
  const [h, e] = await Promise.all([startPrism('hetzner-cloud-v1.openapi.json'), startPrism('exoscale-v2.openapi.yaml')]);
  mocks.hetzner = h;
  mocks.exoscale = e;
}, { timeout: 130_000 });

after(() => {
  for (const c of children) c.kill('SIGTERM');
});

test('hetzner refresh makes valid requests and reads the documented answers', { timeout: 60_000 }, async () => {
  const { base, log } = mocks.hetzner!;
  const f = checkCatalogFile(await hetznerRefresher.refresh({ env: { HCLOUD_TOKEN: 'test-token' }, endpoint: base, now: new Date('2025-03-01T00:00:00Z') }), 'hetzner');
  assert.equal(f.currency, 'EUR');
  assert.ok(f.instance_types.length > 0);
  const t = f.instance_types[0]!;
  assert.equal(typeof t.vcpus, 'number');
  assert.ok(Object.keys(t.prices).length > 0);
  assert.doesNotMatch(log, /\[VALIDATOR\] ✖/, 'prism rejected a request');
});

test('exoscale refresh: a signed /instance-type request the API accepts, answers in the documented shape', { timeout: 60_000 }, async () => {
  const { base, log } = mocks.exoscale!;
  const pricing = JSON.parse(readFileSync(resolve(root, 'test/fixtures/pricing/exoscale-pricing.json'), 'utf8'));
  // Prism has no price list (it is not part of API v2): that one answer is recorded.
  const f: typeof fetch = async (url, init) =>
    String(url).endsWith('/pricing/opencompute') ? new Response(JSON.stringify(pricing), { status: 200 }) : fetch(url, init);
  const types: any = await (await fetch(`${base}/instance-type`, { headers: { authorization: 'EXO2-HMAC-SHA256 credential=x,expires=1,signature=y' } })).json();
  assert.ok(Array.isArray(types['instance-types']));
  const file = await exoscaleRefresher
    .refresh({ env: { EXOSCALE_API_KEY: 'EXOkey', EXOSCALE_API_SECRET: 'secret' }, endpoint: base, fetch: f })
    .catch((e: Error) => e);
  // Prism's example is a gpu3.large with 1 byte of memory: the refresher skips it and says so in one line.
  assert.equal(types['instance-types'][0].memory, 1);
  assert.ok(file instanceof Error);
  assert.equal(file.message, 'exoscale: the pricing answer priced no instance type');
  assert.doesNotMatch(log, /\[VALIDATOR\] ✖/, 'prism rejected a request');
});
