/**
 * Issue 6 on Exoscale: SIGKILL of the control plane mid-provisioning, then a restart, leaves
 * exactly one machine and no leaked security group or volume; `down` then removes everything.
 *
 * The control plane runs as a child process (test/helpers/exoscale-engine.ts: SQLite file
 * store, worker, engine, Exoscale provider) against the Exoscale API double. Between them sits
 * a small forwarding proxy that, while armed, lets POST /v2/instance reach the double (which
 * creates the instance) but holds the answer back: the control plane is killed while it
 * cannot yet know the instance's id, the worst moment. The double's own `latency` fault
 * delays before handling and `drop-after` lets the client react at once, so neither pins
 * that moment down. The double hands out 127.0.0.1, and a small HTTP server on the spec's
 * port plays the VM's Ollama, answering only while the double says an instance is running.
 */
import { pairInUserData, startTlsStandIn } from './helpers/tls-stand-in.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseSpec } from '../src/spec/index.js';
import type { Spec } from '../src/spec/schema.js';
import { startExoscaleDouble, type ExoscaleDouble } from './doubles/exoscale-double.js';
import { EXO_TEST_KEY, EXO_TEST_SECRET, exoOffer, startExoscaleEngine } from './helpers/exoscale-engine.js';
import { spawnHarnessChild } from './helpers/engine-harness.js';

const repoRoot = resolve(import.meta.dirname, '..');
const cleanups: (() => Promise<unknown> | unknown)[] = [];
let double: ExoscaleDouble;
let dir: string;

before(async () => {
  double = await startExoscaleDouble({ key: EXO_TEST_KEY, secret: EXO_TEST_SECRET, publicIp: () => '127.0.0.1' });
  dir = await mkdtemp(join(tmpdir(), 'aloft-e2e-exo-crash-'));
});
after(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  await double.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Forwards every request to the double unchanged (the signature covers method, path, query
 * and body, not the host). While `hold` is set, the answer to POST /v2/instance is kept back
 * after the double has handled it, until `release()` or the client goes away.
 */
async function holdingProxy(target: string) {
  const to = new URL(target);
  const held: (() => void)[] = [];
  const state = { hold: false, heldCount: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (ans) => {
        const parts: Buffer[] = [];
        ans.on('data', (c: Buffer) => parts.push(c));
        ans.on('end', () => {
          const answer = () => {
            if (res.destroyed) return;
            res.writeHead(ans.statusCode ?? 502, ans.headers);
            res.end(Buffer.concat(parts));
          };
          if (state.hold && req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname === '/v2/instance') {
            state.heldCount++;
            held.push(answer);
          } else answer();
        });
      });
      up.on('error', () => req.socket.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`,
    state,
    release() {
      state.hold = false;
      for (const a of held.splice(0)) a();
    },
  };
}

/**
 * The workload a booted instance would serve behind its key proxy: HTTPS with the
 * certificate issued to the newest running instance (read from its user-data), Ollama's
 * /api/tags, only while an instance runs.
 */
async function fakeOllama(model: string): Promise<number> {
  const latest = () => {
    double.state.tick();
    const running = [...double.state.instances.values()].filter((i) => i.state === 'running' && i.publicIp === '127.0.0.1');
    return pairInUserData(running.at(-1)?.userData);
  };
  const standIn = await startTlsStandIn(latest, (req, res) => {
    if (req.url === '/api/tags') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ models: [{ name: model, model }] }));
    res.writeHead(404).end();
  });
  cleanups.push(() => standIn.close());
  return standIn.port;
}

/** What the double still holds for a deployment: its instances, its security group, and every volume. */
function holdings(deploymentId: string) {
  double.state.tick();
  return {
    instances: [...double.state.instances.values()].filter((i) => i.labels['aloft-deployment'] === deploymentId),
    groups: [...double.state.securityGroups.values()].filter((g) => g.name === `aloft-${deploymentId}`),
    // This double serves only this test, so any volume at all is a stray.
    volumes: [...double.state.volumes.values()],
  };
}

async function waitStatus(get: () => Promise<{ status: string; status_reason?: string | null }>, status: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = await get();
    if (d.status === status) return d;
    if (d.status === 'failed' && status !== 'failed') throw new Error(`failed: ${d.status_reason}`);
    if (Date.now() > end) throw new Error(`is ${d.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('e2e: the engine on Exoscale (API double), killed mid-provisioning', { timeout: 180_000 }, () => {
  test('SIGKILL while POST /instance is in flight, then a restart: exactly one machine, nothing leaked; down removes everything', async () => {
    const base = parseSpec(await readFile(join(repoRoot, 'examples/ollama-gpu.yaml'), 'utf8'), { file: 'examples/ollama-gpu.yaml' });
    const port = await fakeOllama((base as { model: string }).model);
    const spec = { ...base, name: 'coder-crash', port } as Spec;
    const offers = [exoOffer('gpua5000.small', { name: 'RTXA5000', count: 1, vramGb: 24 }, 1.2)];
    const masterKey = randomBytes(32);
    const db = join(dir, 'crash.db');
    const proxy = await holdingProxy(double.url);
    const run = { dbPath: db, doubleUrl: proxy.url, offers, spec, masterKey };
    const child = () => spawnHarnessChild(join(repoRoot, 'test/helpers/exoscale-engine.ts'), run, (kill) => cleanups.push(kill));

    // Exoscale creates the instance but its answer is held back; the control plane dies meanwhile.
    proxy.state.hold = true;
    const first = child();
    const launched = Date.now();
    for (;;) {
      const mine = [...double.state.instances.values()].filter((i) => i.labels['aloft-port'] === String(port));
      if (mine.length > 0 && proxy.state.heldCount > 0) break;
      if (first.c.exitCode !== null) throw new Error(`the first control plane exited early: ${first.out()}`);
      if (Date.now() - launched > 60_000) throw new Error(`the first control plane never created the instance: ${first.out()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.doesNotMatch(first.out(), /READY/, 'killed before it was ready');
    first.c.kill('SIGKILL');
    await first.exited;
    proxy.release();
    double.clearFaults();
    assert.equal(double.state.instances.size, 1, 'the dead control plane left one instance behind');

    const second = child();
    assert.equal(await second.exited, 0, second.out());
    assert.match(second.out(), new RegExp(`READY https://127\\.0\\.0\\.1:${port}`), second.out());

    // An in-process control plane on the same store: it sees the deployment ready, and takes it down.
    const e = await startExoscaleEngine({ dbUrl: db, doubleUrl: double.url, offers, masterKey });
    cleanups.push(() => e.close());
    const dep = await e.engine.get(spec.name);
    assert.equal(dep.status, 'ready');
    assert.equal(dep.provider, 'exoscale');
    const held = holdings(dep.id);
    assert.equal(held.instances.length, 1, 'exactly one machine for the deployment');
    assert.equal(double.state.instances.size, 1, 'and no other machine at all');
    assert.equal(held.instances[0]!.labels['aloft-managed'], 'true');
    assert.equal(held.groups.length, 1, 'exactly one security group for the deployment');
    assert.equal(double.state.securityGroups.size, 1, 'and no other security group');
    assert.deepEqual(held.instances[0]!.securityGroups, [held.groups[0]!.id]);
    assert.equal(held.volumes.length, 0, 'no stray volume');
    const creates = double.requests.filter((r) => r.method === 'POST' && r.path === '/instance' && r.status === 200);
    assert.equal(creates.length, 1, 'the restarted control plane found the instance by its labels instead of creating another');
    assert.match(second.out(), /^RESUMED /m, 'the second control plane resumed the deployment, it did not submit it again');

    await e.engine.requestDestroy(spec.name);
    await waitStatus(() => e.engine.get(spec.name), 'destroyed');
    const left = holdings(dep.id);
    assert.deepEqual(
      { i: double.state.instances.size, g: double.state.securityGroups.size, v: left.volumes.length },
      { i: 0, g: 0, v: 0 },
      'down removed the instance, its security group and every volume',
    );
  });
});
