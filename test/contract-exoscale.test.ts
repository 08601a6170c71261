/**
 * Contract test: every request the Exoscale provider makes goes through
 * @stoplight/prism-cli serving Exoscale's official OpenAPI description; a request the
 * real API would reject (prism: 422 and a `[VALIDATOR] ✖` line) fails the test.
 *
 * The provider's endpoint is prism. Prism's static mock answers cannot drive a
 * lifecycle (operations come back in whatever state the schema's first enum says), so
 * a fetch wrapper also replays each request, same path, body and signature, to the
 * stateful double (served at the root, like prism), and hands the double's answer back
 * to the provider. Only request validity is asserted against prism.
 *
 * Prism 5.14.2 routes `/instance/{id}:stop` to `/instance/{id}` when both define the
 * method (its path matcher is unanchored, cf. stoplightio/prism#1785), and then rejects
 * a valid request. The spec prism serves is therefore the official one reduced, at test
 * time, to the operations the adapter calls — each kept exactly as published.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { createExoscaleProvider, type ExoscaleProvider } from '../src/providers/exoscale/index.js';
import { aloftTags, type CreateRequest, type Machine } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';
import { startExoscaleDouble, type ExoscaleDouble } from './doubles/exoscale-double.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = path.resolve(repoRoot, '../shared/cloud-specs/exoscale-v2.openapi.yaml');
const KEY = 'EXOcontract000000000000000';
const SECRET = 'contract-secret';

/** The operations the adapter calls: [method, path template]. */
const USED: [string, string][] = [
  ['get', '/quota'],
  ['get', '/instance-type'],
  ['get', '/template'],
  ['get', '/operation/{id}'],
  ['get', '/instance'],
  ['post', '/instance'],
  ['get', '/instance/{id}'],
  ['delete', '/instance/{id}'],
  ['put', '/instance/{id}:start'],
  ['put', '/instance/{id}:stop'],
  ['post', '/instance/{id}:create-snapshot'],
  ['get', '/security-group'],
  ['post', '/security-group'],
  ['get', '/security-group/{id}'],
  ['delete', '/security-group/{id}'],
  ['post', '/security-group/{id}/rules'],
  ['delete', '/security-group/{id}/rules/{rule-id}'],
  ['get', '/block-storage'],
  ['post', '/block-storage'],
  ['get', '/block-storage/{id}'],
  ['delete', '/block-storage/{id}'],
  ['put', '/block-storage/{id}:attach'],
  ['put', '/block-storage/{id}:detach'],
  ['get', '/snapshot'],
  ['get', '/snapshot/{id}'],
  ['delete', '/snapshot/{id}'],
];

function reducedSpec(dir: string): string {
  const doc = parse(readFileSync(SPEC, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [method, p] of USED) {
    const item = doc.paths[p];
    assert.ok(item?.[method], `the official spec defines ${method.toUpperCase()} ${p}`);
    paths[p] = { ...(paths[p] ?? {}), [method]: item[method] };
    if (item.parameters) paths[p].parameters = item.parameters;
  }
  const file = path.join(dir, 'exoscale-v2.used.openapi.yaml');
  writeFileSync(file, stringify({ ...doc, paths }, { aliasDuplicateObjects: false }));
  return file;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Seen {
  method: string;
  path: string;
  status: number;
  body: string;
}

describe('Exoscale adapter requests are valid against the official OpenAPI description (prism)', { timeout: 300_000 }, () => {
  let prism: ChildProcess | undefined;
  let prismLog = '';
  let dir: string;
  let d: ExoscaleDouble;
  let p: ExoscaleProvider;
  const seen: Seen[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aloft-exo-contract-'));
    const port = await freePort();
    prism = spawn(path.join(repoRoot, 'node_modules/.bin/prism'), ['mock', '-h', '127.0.0.1', '-p', String(port), reducedSpec(dir)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    prism.stdout!.on('data', (b: Buffer) => (prismLog += b.toString()));
    prism.stderr!.on('data', (b: Buffer) => (prismLog += b.toString()));
    const deadline = Date.now() + 180_000;
    while (!/Prism is listening/.test(prismLog)) {
      if (prism.exitCode !== null) throw new Error(`prism exited: ${prismLog}`);
      if (Date.now() > deadline) throw new Error(`prism did not start within 180 s: ${prismLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const prismUrl = `http://127.0.0.1:${port}`;
    d = await startExoscaleDouble({ key: KEY, secret: SECRET, basePath: '' });

    const tee: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      const target = new URL(url.pathname + url.search, d.url);
      const body = typeof init?.body === 'string' ? init.body : '';
      const checked = await fetch(url, { ...init, signal: undefined });
      seen.push({ method: init?.method ?? 'GET', path: url.pathname + url.search, status: checked.status, body: await checked.text() });
      return fetch(target, { ...init, body: body || undefined });
    };
    p = createExoscaleProvider({ key: KEY, secret: SECRET, zone: d.zone, endpoint: prismUrl, fetch: tee, operationPollMs: 10, operationTimeoutMs: 10_000 });
  });

  after(async () => {
    await d?.close();
    if (prism && prism.exitCode === null) {
      prism.kill('SIGTERM');
      await new Promise((r) => prism!.once('exit', r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a full lifecycle through every endpoint the adapter uses', async () => {
    const deploymentId = 'dep-contract';
    const req: CreateRequest = {
      deploymentId,
      name: 'contract',
      spec: { kind: 'ollama', name: 'contract', model: 'qwen2.5:0.5b' } as Spec,
      offer: { provider: 'exoscale', region: 'ch-gva-2', instanceType: 'standard.small' },
      port: 8443,
      userData: '#cloud-config\n{}\n',
      diskGb: 20,
      tags: aloftTags(deploymentId),
    };
    assert.equal((await p.check()).ok, true);
    const m = await p.create(req, { idempotencyKey: 'k1' });
    for (let i = 0; i < 200 && (await p.describe(m)).state !== 'running'; i++) await new Promise((r) => setTimeout(r, 15));
    await p.setFirewall(m, [{ protocol: 'tcp', port: 22, cidrs: ['203.0.113.0/24'] }]);
    await p.stop(m);
    await p.start(m);
    const v = await p.createVolume({ region: 'ch-gva-2', sizeGb: 10, name: 'data', tags: aloftTags(deploymentId) }, { idempotencyKey: 'v1' });
    await p.attachVolume(v.id, m);
    await p.detachVolume(v.id);
    await p.listVolumes({ deploymentId });
    const s = await p.createSnapshot(m.id, aloftTags(deploymentId));
    await p.listSnapshots({ deploymentId });
    await p.deleteSnapshot(s.id);
    await p.liveOffers();
    await p.list({ deploymentId });
    await p.deleteVolume(v.id);
    await p.destroy(m as Machine);

    // Every operation in USED was exercised…
    const exercised = new Set(seen.map((r) => `${r.method.toLowerCase()} ${r.path.split('?')[0].replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')}`));
    const norm = (t: string) => t.replace('{rule-id}', '{id}');
    for (const [method, tpl] of USED) assert.ok(exercised.has(`${method} ${norm(tpl)}`), `not exercised: ${method.toUpperCase()} ${tpl}`);

    // …and prism accepted each request.
    const rejected = seen.filter((r) => r.status === 422 || r.status === 404 || r.status === 405 || r.status === 400);
    assert.deepEqual(rejected, [], 'prism rejected requests');
    assert.doesNotMatch(prismLog, /\[VALIDATOR\][^\n]*✖/, 'prism logged validation errors');
    assert.ok(seen.length >= USED.length);
  });
});
