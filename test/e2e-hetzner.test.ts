/**
 * Through the engine: examples/ollama-cpu.yaml on Hetzner (the stateful double), with a
 * real store, job worker and engine in this process (test/helpers/engine-harness.ts,
 * without the reconciler loops, so the jobs alone take deployments up and down). The
 * double gives servers the address 127.0.0.1, where a small fake Ollama answers the
 * health check, so "ready" means what it means in production: the machine runs and its
 * workload answers.
 *
 * Covered: up ends ready with the right labels, firewall and user-data; a capacity error
 * on the first offer fails over to the next; a throttled API is retried with backoff; a
 * lost answer to POST /servers (the cloud made it, the control plane never heard) leaves
 * exactly one machine; down removes everything.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pairInUserData, startTlsStandIn, tlsComment, type TlsStandIn } from './helpers/tls-stand-in.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHetznerDouble, type HetznerDouble } from './doubles/hetzner-double.js';
import { createHetznerProvider, createHetznerClient, fetchHetznerOffers } from '../src/providers/hetzner/index.js';
import { loadSpecFile, type Spec } from '../src/spec/index.js';
import type { Engine } from '../src/engine/engine.js';
import type { PlannedOffer } from '../src/catalog/types.js';
import type { Deployment } from '../src/store/types.js';
import { startEngineHarness, type EngineHarness } from './helpers/engine-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let double: HetznerDouble;
let ollama: TlsStandIn;
let ollamaPort: number;
let harness: EngineHarness;
let engine: Engine;
let offers: PlannedOffer[];
let baseSpec: Spec;

before(async () => {
  double = await startHetznerDouble({ actionMs: 60, ipv4For: () => '127.0.0.1' });
  // The machine's key proxy: HTTPS with the certificate issued to the newest server.
  ollama = await startTlsStandIn(
    () => pairInUserData([...double.cloud.servers.values()].map((s) => s.userData).filter(Boolean).at(-1)),
    (req, res) => {
      if (req.url === '/api/tags') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ models: [{ name: 'qwen2.5:0.5b', model: 'qwen2.5:0.5b' }] }));
      } else res.writeHead(404).end();
    },
  );
  ollamaPort = ollama.port;

  const { spec } = await loadSpecFile(path.join(ROOT, 'examples/ollama-cpu.yaml'));
  baseSpec = { ...spec, port: ollamaPort } as Spec;
  // The catalog planner lives elsewhere; here the offers are Hetzner's live ones that fit
  // the example (4+ vCPUs, 8+ GB), cheapest first.
  const live = await fetchHetznerOffers(createHetznerClient({ token: double.token, endpoint: double.url }));
  offers = live
    .filter((o) => o.vcpus >= 4 && o.memoryGb >= 8 && o.arch === 'x86_64')
    .map((o) => ({ ...o, spot: false, hourlyUsd: o.pricePerHour, monthlyUsd: o.pricePerHour * 730 }));
  assert.ok(offers.length >= 2);

  harness = await startEngineHarness({
    dbUrl: ':memory:',
    provider: createHetznerProvider({ token: double.token, endpoint: double.url, actionWaitMs: 5000, destroyWaitMs: 5000 }),
    offers,
    masterKey: randomBytes(32),
    renderUserData: async (i) => `#cloud-config\n# aloft deployment ${i.deployment.id}\nwrite_files:\n  - path: /etc/aloft/port\n    content: "${i.port}"\n${tlsComment(i.tls)}`,
    // One worker and no restart to reclaim from (the crash test below runs its own children):
    // a long lease, which a loaded machine renews in time (a lapsed lease runs a job twice).
    leaseMs: 20_000,
    loops: false,
  });
  engine = harness.engine;
});

after(async () => {
  await harness?.close();
  await double?.close();
  await ollama?.close();
});

async function until(name: string, statuses: string[], timeoutMs = 60_000): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await engine.get(name);
    if (statuses.includes(d.status)) return d;
    if (d.status === 'failed' && !statuses.includes('failed')) assert.fail(`${name} failed: ${d.status_reason}`);
    if (Date.now() > deadline) assert.fail(`${name} is ${d.status}, wanted ${statuses.join('/')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function cloudOf(deploymentId: string) {
  const has = (l: Record<string, string>) => l['aloft-deployment'] === deploymentId;
  const c = double.cloud;
  return {
    servers: [...c.servers.values()].filter((s) => has(s.labels)),
    firewalls: [...c.firewalls.values()].filter((f) => has(f.labels)),
    volumes: [...c.volumes.values()].filter((v) => has(v.labels)),
    keys: [...c.sshKeys.values()].filter((k) => has(k.labels)),
  };
}

async function upAndDown(name: string, check: (dep: Deployment) => void | Promise<void>) {
  const submitted = await engine.submit({ spec: { ...baseSpec, name } as Spec, baseDir: ROOT, owner: 'e2e' });
  const dep = await until(name, ['ready']);
  assert.equal(dep.endpoint, `https://127.0.0.1:${ollamaPort}`);
  await check(dep);
  await engine.requestDestroy(name);
  await until(name, ['destroyed']);
  const left = cloudOf(submitted.id);
  assert.deepEqual({ servers: left.servers.length, firewalls: left.firewalls.length, volumes: left.volumes.length, keys: left.keys.length }, { servers: 0, firewalls: 0, volumes: 0, keys: 0 });
}

describe('hetzner through the engine', { timeout: 180_000 }, () => {
  test('up ollama-cpu.yaml ends ready with the right labels, firewall and user-data; down removes everything', async () => {
    await upAndDown('qwen-cpu', (dep) => {
      const [server, ...more] = cloudOf(dep.id).servers;
      assert.equal(more.length, 0, 'exactly one server');
      assert.equal(server!.labels['aloft-managed'], 'true');
      assert.equal(server!.labels['aloft-deployment'], dep.id);
      assert.equal(server!.type.name, offers[0]!.instanceType, 'the cheapest offer');
      assert.equal(server!.location.name, offers[0]!.region);
      assert.match(server!.userData ?? '', new RegExp(`aloft deployment ${dep.id}`));
      const fws = double.cloud.firewallsOf(server!.id);
      assert.deepEqual(fws.map((f) => f.rules.map((r) => `${r.direction} ${r.protocol} ${r.port} ${r.source_ips.join(' ')}`)), [[`in tcp ${ollamaPort} 0.0.0.0/0 ::/0`]]);
    });
  });

  test('a capacity error on the first offer fails over to the next', async () => {
    double.faults.push({ match: 'POST /servers', error: 'resource_unavailable', times: 1 });
    await upAndDown('qwen-failover', (dep) => {
      const [server] = cloudOf(dep.id).servers;
      const second = offers[1]!;
      assert.equal(`${server!.type.name}/${server!.location.name}`, `${second.instanceType}/${second.region}`);
      assert.equal(cloudOf(dep.id).firewalls.length, 1, 'the failed offer left no firewall behind');
    });
  });

  test('a throttled API is retried with backoff', async () => {
    const before = double.requests.length;
    double.faults.push({ match: 'POST /servers', error: 'rate_limit_exceeded', resetInS: 1, times: 2 });
    await upAndDown('qwen-throttled', (dep) => {
      const posts = double.requests.slice(before).filter((r) => r.method === 'POST' && r.path === '/servers');
      assert.deepEqual(posts.map((r) => r.status), [429, 429, 201]);
      assert.equal(cloudOf(dep.id).servers.length, 1);
    });
  });

  test('a lost answer to POST /servers still leaves exactly one machine', async () => {
    double.faults.push({ match: 'POST /servers', dropAfter: true, times: 1 });
    await upAndDown('qwen-lost', (dep) => {
      assert.equal(cloudOf(dep.id).servers.length, 1);
      assert.equal(cloudOf(dep.id).firewalls.length, 1);
    });
  });
});

describe('hetzner: SIGKILL mid-provisioning, then restart', { timeout: 180_000 }, () => {
  test('leaves exactly one machine and no leaked firewall; down removes everything', async (t) => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { spawn } = await import('node:child_process');
    const dir = mkdtempSync(path.join(tmpdir(), 'aloft-hetzner-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const childEnv = {
      ...process.env,
      HCLOUD_TOKEN: double.token,
      HCLOUD_ENDPOINT: double.url,
      ALOFT_E2E_DB: path.join(dir, 'aloft.db'),
      ALOFT_E2E_OFFERS: JSON.stringify(offers),
      ALOFT_E2E_KEY: randomBytes(32).toString('hex'),
      ALOFT_E2E_PORT: String(ollamaPort),
    };
    const children: ReturnType<typeof spawn>[] = [];
    t.after(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
    const run = (extra: Record<string, string>) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/helpers/hetzner-engine-child.ts')], {
        env: { ...childEnv, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (b) => (out += b));
      child.stderr!.on('data', (b) => (out += b));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      return { child, exited, output: () => out };
    };

    // The server gets made, then the control plane dies before it hears of the firewall label.
    const firstPut = double.requests.length;
    double.faults.push({ match: 'PUT /firewalls/*', latencyMs: 8000, times: 1 });
    const first = run({ ALOFT_E2E_UP: 'qwen-crash' });
    for (let i = 0; i < 600 && !double.requests.slice(firstPut).some((r) => r.method === 'PUT' && r.path.startsWith('/firewalls/')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(double.requests.slice(firstPut).some((r) => r.method === 'POST' && r.path === '/servers' && r.status === 201), first.output());
    first.child.kill('SIGKILL');
    await first.exited;
    double.faults.length = 0;

    const second = run({ ALOFT_E2E_UP: 'qwen-crash' });
    assert.equal(await second.exited, 0, second.output());
    const id = /status qwen-crash ready (\S+)/.exec(second.output())?.[1];
    assert.ok(id, second.output());
    const cloud = cloudOf(id);
    assert.equal(cloud.servers.length, 1, 'exactly one machine');
    assert.equal(cloud.firewalls.length, 1, 'no leaked firewall');
    assert.equal(double.requests.slice(firstPut).filter((r) => r.method === 'POST' && r.path === '/servers').length, 1, 'one POST /servers in all');

    const third = run({ ALOFT_E2E_DOWN: 'qwen-crash' });
    assert.equal(await third.exited, 0, third.output());
    assert.match(third.output(), /status qwen-crash destroyed/);
    const left = cloudOf(id);
    assert.deepEqual([left.servers.length, left.firewalls.length, left.volumes.length, left.keys.length], [0, 0, 0, 0]);
  });
});
