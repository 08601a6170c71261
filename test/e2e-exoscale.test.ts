/**
 * Through the engine: `up examples/ollama-gpu.yaml` on Exoscale (the API double) ends
 * ready with the right labels, security group and user-data; a capacity error on the
 * first offer fails over to the second; throttled API calls are retried; `down` removes
 * everything.
 *
 * The engine is composed in-process by test/helpers/engine-harness.ts (store, worker,
 * engine) with the Exoscale provider pointed at the double, and without the reconciler
 * loops, so the jobs alone take the deployment up and down. The double hands out
 * 127.0.0.1 as public IP, and a small HTTP server on the deployment's port plays the
 * VM's Ollama answering /api/tags (the cloud is simulated, not the engine). The
 * planner and user-data renderer are test-local: the catalog and bootstrap modules are
 * not on main yet.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { startTlsStandIn, type TlsPair } from './helpers/tls-stand-in.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../src/spec/parse.js';
import type { PlannedOffer } from '../src/catalog/types.js';
import type { OllamaSpec } from '../src/spec/schema.js';
import { createExoscaleProvider } from '../src/providers/exoscale/index.js';
import { startExoscaleDouble } from './doubles/exoscale-double.js';
import { startEngineHarness } from './helpers/engine-harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEY = 'EXOe2e00000000000000000000';
const SECRET = 'e2e-secret';

function offer(instanceType: string, gpu: PlannedOffer['gpu'], price: number): PlannedOffer {
  return { provider: 'exoscale', region: 'ch-gva-2', instanceType, gpu, vcpus: 8, memoryGb: 56, arch: 'x86_64', pricePerHour: price, spot: false, hourlyUsd: price, monthlyUsd: price * 730 };
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('engine → Exoscale provider → API double', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('up examples/ollama-gpu.yaml: capacity failover, throttling retried, ready with labels, security group, user-data; down removes everything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aloft-e2e-exo-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

    // The "VM's" key proxy in front of Ollama: HTTPS with the certificate the control plane
    // issued (handed to the user-data hook below); answers /api/tags with the model.
    let issued: TlsPair | undefined;
    const ollama = await startTlsStandIn(() => issued, (req, res) => {
      res.writeHead(req.url === '/api/tags' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ models: [{ name: 'qwen2.5-coder:32b', model: 'qwen2.5-coder:32b' }] }));
    });
    cleanups.push(() => ollama.close());
    const port = ollama.port;

    const d = await startExoscaleDouble({ key: KEY, secret: SECRET, publicIp: () => '127.0.0.1' });
    cleanups.push(() => d.close());
    const provider = createExoscaleProvider({ key: KEY, secret: SECRET, zone: d.zone, endpoint: d.url, operationPollMs: 10, operationTimeoutMs: 10_000 });

    const { spec: parsed, baseDir } = await loadSpecFile(path.join(repoRoot, 'examples/ollama-gpu.yaml'));
    const spec = { ...(parsed as OllamaSpec), port };
    const userDataSeen: string[] = [];
    const harness = await startEngineHarness({
      dbUrl: path.join(dir, 'aloft.db'),
      provider,
      offers: [offer('gpua5000.small', { name: 'RTXA5000', count: 1, vramGb: 24 }, 1.2), offer('standard.large', null, 1.4)],
      masterKey: randomBytes(32),
      renderUserData: async ({ deployment, port: p, tls }) => {
        issued = tls;
        const ud = `#cloud-config\n# aloft deployment ${deployment.id}\nruncmd:\n  - [sh, -c, "echo serving on ${p}"]\n`;
        userDataSeen.push(ud);
        return ud;
      },
      // One worker and no restart to reclaim from: the worker's default 30 s lease, which a
      // loaded machine renews in time (a lapsed lease runs a job twice).
      leaseMs: 30_000,
      loops: false,
    });
    cleanups.push(() => harness.close());
    const { engine } = harness;

    d.fault({ kind: 'capacity', method: 'POST', path: /^\/instance$/ });
    d.fault({ kind: 'throttle', method: 'GET', path: /^\/instance\/[0-9a-f-]{36}$/, times: 3, retryAfterSeconds: 0 });
    const dep = await engine.submit({ spec, baseDir, owner: 'e2e' });
    const ready = await waitFor(async () => {
      const cur = await engine.get(spec.name);
      if (cur.status === 'failed') throw new Error(`failed: ${cur.status_reason}`);
      return cur.status === 'ready' ? cur : null;
    }, 60_000, 'ready');

    assert.equal(ready.endpoint, `https://127.0.0.1:${port}`);
    assert.equal(ready.instance_type, 'standard.large', 'failed over to the second offer');
    const instances = [...d.state.instances.values()];
    assert.equal(instances.length, 1, 'exactly one machine');
    const inst = instances[0];
    assert.equal(inst.labels['aloft-managed'], 'true');
    assert.equal(inst.labels['aloft-deployment'], dep.id);
    assert.equal(inst.labels['aloft-idempotency'], `${dep.id}-g1-o1`);
    assert.equal(Buffer.from(inst.userData!, 'base64').toString(), userDataSeen.at(-1));
    const groups = [...d.state.securityGroups.values()];
    assert.deepEqual(groups.map((g) => g.name), [`aloft-${dep.id}`], 'one security group, the failed offer left none');
    assert.deepEqual(inst.securityGroups, [groups[0].id]);
    assert.deepEqual([...new Set(groups[0].rules.map((r) => `${r.protocol}/${r['start-port']}-${r['end-port']}`))], [`tcp/${port}-${port}`]);
    assert.ok(d.requests.some((r) => r.status === 429), 'the double throttled some calls');

    await engine.requestDestroy(spec.name);
    await waitFor(async () => (await engine.get(spec.name)).status === 'destroyed', 30_000, 'destroyed');
    assert.equal(d.state.instances.size, 0);
    assert.equal(d.state.securityGroups.size, 0);
    assert.equal(d.state.volumes.size, 0);
  });
});
