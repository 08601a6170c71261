/**
 * End to end through the real engine (store, queue, jobs, reconciler) with the AWS provider
 * against the EC2 double: `up examples/ollama-gpu.yaml` ends ready with the right tags,
 * security group and user-data; a capacity error on the first offer fails over; throttled
 * calls are retried; a SIGKILL mid-provisioning and a restart leave exactly one machine and
 * nothing leaked; `down` removes everything.
 *
 * The double cannot boot a VM, so each test runs the "machine's" workload itself: a small
 * Ollama-shaped server on 127.0.0.1 (the double gives instances that public IP) that answers
 * only while the double says an instance is running.
 */
import { pairInUserData, startTlsStandIn } from './helpers/tls-stand-in.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSpec } from '../src/spec/index.js';
import type { Spec } from '../src/spec/schema.js';
import { startEc2Double, type Ec2Double } from './doubles/ec2-double.js';
import type { QueryObject } from './doubles/ec2-wire.js';
import { plannedOffers, startAwsEngine, type AwsEngine } from './helpers/aws-engine.js';
import { spawnHarnessChild } from './helpers/engine-harness.js';

const REGION = 'us-east-1';
const repoRoot = resolve(import.meta.dirname, '..');
let double: Ec2Double;
let dir: string;
let baseSpec: Spec;
const masterKey = randomBytes(32);
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  double = await startEc2Double({ publicIp: () => '127.0.0.1', timing: { pendingMs: 150, stoppingMs: 150, shuttingDownMs: 300 } });
  dir = await mkdtemp(join(tmpdir(), 'aloft-e2e-aws-'));
  baseSpec = parseSpec(await readFile(join(repoRoot, 'examples/ollama-gpu.yaml'), 'utf8'), { file: 'examples/ollama-gpu.yaml' });
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await double.close();
  await rm(dir, { recursive: true, force: true });
});

/** The workload a booted instance would serve: Ollama's /api/tags listing the model. */
async function fakeOllama(model: string): Promise<number> {
  // HTTPS with the certificate issued to the newest instance, as its key proxy would serve it.
  const latest = () => pairInUserData(double.calls('RunInstances').map((c) => (c.params as QueryObject).UserData as string | undefined).filter(Boolean).at(-1));
  const standIn = await startTlsStandIn(latest, (req, res) => {
    double.world.tick();
    const up = [...double.world.instances.values()].some((i) => i.state === 'running' && i.publicIp === '127.0.0.1');
    if (!up) return void req.socket.destroy();
    if (req.url === '/api/tags') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ models: [{ name: model, model }] }));
    res.writeHead(404).end();
  });
  cleanups.push(() => standIn.close());
  return standIn.port;
}

let n = 0;
async function specWithPort(): Promise<Spec> {
  const port = await fakeOllama(`${(baseSpec as { model: string }).model}`);
  return { ...baseSpec, name: `coder-${++n}`, port } as Spec;
}

async function engine(types: string[], db = join(dir, `e2e-${++n}.db`)): Promise<AwsEngine> {
  const e = await startAwsEngine({ dbUrl: db, doubleUrl: double.url, offers: plannedOffers(REGION, types), masterKey });
  cleanups.push(() => e.close());
  return e;
}

async function waitStatus(e: AwsEngine, name: string, status: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = await e.engine.get(name);
    if (d.status === status) return d;
    if (d.status === 'failed' && status !== 'failed') throw new Error(`${name} failed: ${d.status_reason}`);
    if (Date.now() > end) throw new Error(`${name} is ${d.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the double still holds for a deployment: live instances, groups, volumes. */
function holdings(deploymentId: string) {
  double.world.tick();
  const mine = (tags: Record<string, string>) => tags['aloft-deployment'] === deploymentId;
  return {
    instances: [...double.world.instances.values()].filter((i) => mine(i.tags) && i.state !== 'terminated'),
    groups: [...double.world.groups.values()].filter((g) => mine(g.tags)),
    volumes: [...double.world.volumes.values()].filter((v) => mine(v.tags)),
  };
}

async function downAndCheck(e: AwsEngine, name: string, deploymentId: string) {
  await e.engine.requestDestroy(name);
  await waitStatus(e, name, 'destroyed');
  const left = holdings(deploymentId);
  assert.deepEqual({ i: left.instances.length, g: left.groups.length, v: left.volumes.length }, { i: 0, g: 0, v: 0 }, 'down removed everything');
}

describe('e2e: the engine on AWS (EC2 double)', () => {
  test('up examples/ollama-gpu.yaml → ready with tags, security group and user-data; down removes everything', async () => {
    const e = await engine(['g6.xlarge']);
    const spec = await specWithPort();
    const dep = await e.engine.submit({ spec, baseDir: null, owner: 'e2e' });
    const ready = await waitStatus(e, spec.name, 'ready');
    assert.equal(ready.endpoint, `https://127.0.0.1:${(spec as { port: number }).port}`);
    assert.equal(ready.provider, 'aws');

    const run = double.calls('RunInstances').map((c) => c.params as QueryObject).find((p) => JSON.stringify(p).includes(dep.id))!;
    assert.ok(run, 'RunInstances carried the deployment');
    const tagsOf = (type: string) =>
      Object.fromEntries((((run.TagSpecification as QueryObject[]).find((s) => s.ResourceType === type)!.Tag as QueryObject[]) ?? []).map((t) => [t.Key, t.Value]));
    for (const type of ['instance', 'volume']) {
      assert.equal(tagsOf(type)['aloft-managed'], 'true');
      assert.equal(tagsOf(type)['aloft-deployment'], dep.id);
    }
    const userData = Buffer.from(run.UserData as string, 'base64').toString('utf8');
    assert.match(userData, new RegExp(`^#cloud-config\\n# aloft deployment ${dep.id} \\(ollama\\) on g6\\.xlarge`));
    assert.match(userData, new RegExp(`ALOFT_PORT=${(spec as { port: number }).port}`));
    const held = holdings(dep.id);
    assert.equal(held.instances.length, 1);
    assert.equal(held.groups.length, 1);
    assert.deepEqual(held.groups[0]!.ingress, [{ protocol: 'tcp', fromPort: (spec as { port: number }).port, toPort: (spec as { port: number }).port, cidr: '0.0.0.0/0' }]);
    assert.equal(held.instances[0]!.httpTokens, 'required');
    assert.equal(held.volumes[0]!.encrypted, true);
    assert.equal(held.volumes[0]!.type, 'gp3');

    await downAndCheck(e, spec.name, dep.id);
  });

  test('no capacity for the first offer: fails over to the next, leaking nothing', async () => {
    const e = await engine(['g6.xlarge', 'g5.xlarge']);
    const spec = await specWithPort();
    double.inject({ kind: 'capacity', action: 'RunInstances', match: (p) => (p as QueryObject).InstanceType === 'g6.xlarge', times: Infinity });
    try {
      const dep = await e.engine.submit({ spec, baseDir: null, owner: 'e2e' });
      const ready = await waitStatus(e, spec.name, 'ready');
      assert.equal(ready.instance_type, 'g5.xlarge');
      const held = holdings(dep.id);
      assert.equal(held.instances.length, 1);
      assert.equal(held.instances[0]!.type, 'g5.xlarge');
      assert.equal(held.groups.length, 1, 'the failed offer’s security group was removed');
      await downAndCheck(e, spec.name, dep.id);
    } finally {
      double.clearFaults();
    }
  });

  test('throttled API calls are retried until they pass', async () => {
    const e = await engine(['g6.xlarge']);
    const spec = await specWithPort();
    double.inject({ kind: 'throttle', action: ['RunInstances', 'CreateSecurityGroup', 'DescribeInstances'], times: 4 });
    try {
      const dep = await e.engine.submit({ spec, baseDir: null, owner: 'e2e' });
      await waitStatus(e, spec.name, 'ready', 60_000);
      assert.equal(holdings(dep.id).instances.length, 1);
      await downAndCheck(e, spec.name, dep.id);
    } finally {
      double.clearFaults();
    }
  });

  test('SIGKILL while RunInstances is in flight, then a restart: exactly one machine, nothing leaked', async () => {
    const spec = await specWithPort();
    const db = join(dir, 'crash.db');
    const offers = plannedOffers(REGION, ['g6.xlarge']);
    const run = { dbPath: db, doubleUrl: double.url, offers, spec, masterKey };
    const child = () => spawnHarnessChild(join(repoRoot, 'test/helpers/aws-engine.ts'), run, (kill) => cleanups.push(async () => kill()));

    // EC2 launches the instance but the answer is held back; the control plane dies meanwhile.
    double.inject({ kind: 'latency', action: 'RunInstances', afterHandling: true, ms: 20_000 });
    const first = child();
    const launched = Date.now();
    for (;;) {
      const mine = [...double.world.instances.values()].filter((i) => i.tags['aloft-port'] === String((spec as { port: number }).port));
      if (mine.length > 0) break;
      if (Date.now() - launched > 30_000) throw new Error(`the first control plane never launched: ${first.out()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.c.kill('SIGKILL');
    await first.exited;
    double.clearFaults();

    const second = child();
    assert.equal(await second.exited, 0, second.out());
    assert.match(second.out(), /READY https:\/\/127\.0\.0\.1:\d+/, second.out());

    const e = await engine(['g6.xlarge'], db);
    const dep = await e.engine.get(spec.name);
    assert.equal(dep.status, 'ready');
    const held = holdings(dep.id);
    assert.equal(held.instances.length, 1, 'exactly one machine');
    assert.equal(held.groups.length, 1, 'one security group');
    assert.equal(held.volumes.length, 1, 'one root volume');
    await downAndCheck(e, spec.name, dep.id);
  });
});
