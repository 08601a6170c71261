/**
 * Contract test: every request the Hetzner provider makes is valid for the official
 * Hetzner Cloud API description (../shared/cloud-specs/hetzner-cloud-v1.openapi.json),
 * checked by `prism mock`, which rejects (422, `[VALIDATOR] ✖`) what the real API would.
 *
 * Prism answers with example data, so behaviour cannot be driven through it alone. Two
 * passes:
 *  1. the provider with HCLOUD_ENDPOINT = prism, calling each of its methods once
 *     (answers ignored, only request validity asserted);
 *  2. a "tee": each request goes to prism (validated, answer dropped) and to the
 *     stateful double (which answers), so whole flows — create, failed create, devbox
 *     keys, firewall, volumes, snapshots, destroy twice — run and are validated.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrism, type PrismProcess } from './doubles/prism-process.js';
import { startHetznerDouble, type HetznerDouble } from './doubles/hetzner-double.js';
import { createHetznerProvider, fromEnv } from '../src/providers/hetzner/index.js';
import { aloftTags, type CreateRequest, type MachineRef } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = path.resolve(repoRoot, '../shared/cloud-specs/hetzner-cloud-v1.openapi.json');
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0ZXN0a2V5Zm9yYWxvZnRoZXR6bmVydGVzdHMxMjM0NTY3 dev@laptop';
const SSH_KEY_2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNlY29uZGtleWZvcmFsb2Z0aGV0em5lcnRlc3RzMTIzNDU2 other@laptop';

interface Seen {
  line: string;
  template: string;
  prismStatus: number;
  rejected: string | null;
}

const template = (method: string, pathname: string) => `${method} ${pathname.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;

function request(deploymentId: string, spec: Record<string, unknown> = {}, port = 8443): CreateRequest {
  const full = { kind: 'ollama', name: 'contract', model: 'qwen2.5:0.5b', ...spec } as Spec;
  return {
    deploymentId,
    name: full.name,
    spec: full,
    offer: { provider: 'hetzner', region: 'fsn1', instanceType: 'cx22' },
    port,
    userData: '#cloud-config\nruncmd: [echo hello]\n',
    tags: aloftTags(deploymentId),
  };
}

/** Swallows what a call answers or throws: with prism's example data only the request matters. */
const attempt = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch {
    /* behaviour is not under test here */
  }
};

let prism: PrismProcess;
before(async () => {
  prism = await startPrism(repoRoot, SPEC, { startTimeoutMs: 120_000 });
});
after(async () => {
  await prism?.stop();
});

describe('hetzner provider requests are valid for the official OpenAPI', { timeout: 240_000 }, () => {
  test('every provider method, with HCLOUD_ENDPOINT = prism', async () => {
    const before = prism.lines().length;
    const fromEnvironment = fromEnv({ HCLOUD_TOKEN: 'contract-token', HCLOUD_ENDPOINT: prism.url });
    assert.ok(fromEnvironment);
    const check = await fromEnvironment.check();
    assert.equal(check.ok, true, check.message);
    // Prism's actions never finish (its example says "running"): keep the bounded waits short.
    const p = createHetznerProvider({ token: 'contract-token', endpoint: prism.url, actionWaitMs: 300, destroyWaitMs: 300 });
    const ref: MachineRef = { provider: 'hetzner', id: '42' };
    await attempt(p.list());
    await attempt(p.list({ deploymentId: 'dep-1' }));
    await attempt(p.describe(ref));
    await attempt(p.create(request('dep-1'), { idempotencyKey: 'k1' }));
    await attempt(p.start(ref));
    await attempt(p.stop(ref));
    await attempt(p.setFirewall(ref, [{ protocol: 'tcp', port: 443, cidrs: ['0.0.0.0/0'] }]));
    await attempt(p.createVolume({ region: 'fsn1', sizeGb: 10, name: 'v', tags: aloftTags('dep-1') }, { idempotencyKey: 'v1' }));
    await attempt(p.attachVolume('43', ref));
    await attempt(p.detachVolume('43'));
    await attempt(p.deleteVolume('43'));
    await attempt(p.listVolumes({ deploymentId: 'dep-1' }));
    await attempt(p.createSnapshot('42', aloftTags('dep-1')));
    await attempt(p.listSnapshots({ deploymentId: 'dep-1' }));
    await attempt(p.deleteSnapshot('44'));
    await attempt(p.liveOffers());
    await attempt(p.destroy(ref));
    await attempt(p.leftovers('dep-1'));
    await attempt(p.removeLeftovers('dep-1'));
    const served = prism.lines().slice(before).filter((l) => /Request received/.test(l)).length;
    assert.ok(served >= 20, `prism saw only ${served} requests`);
    assert.deepEqual(prism.violations(before), []);
  });

  describe('whole flows, teed to prism and the stateful double', () => {
    let double: HetznerDouble;
    const seen: Seen[] = [];
    before(async () => {
      double = await startHetznerDouble({ actionMs: 30 });
    });
    after(() => double?.close());

    const tee: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      const rel = url.pathname.replace(/^\/v1/, '') + url.search;
      const res = await fetch(prism.url + rel, { method: init?.method, headers: init?.headers, body: init?.body });
      const text = await res.text();
      const problem = (res.headers.get('content-type') ?? '').includes('problem+json');
      seen.push({
        line: `${init?.method ?? 'GET'} ${rel}`,
        template: template(init?.method ?? 'GET', url.pathname.replace(/^\/v1/, '')),
        prismStatus: res.status,
        rejected: problem ? text : null,
      });
      return fetch(input, init);
    };

    test('create, failover, devbox, firewall, volumes, snapshots, destroy twice', async () => {
      const before = prism.lines().length;
      const p = createHetznerProvider({ token: double.token, endpoint: double.url, fetch: tee, actionWaitMs: 5000, destroyWaitMs: 5000 });
      await p.check();
      double.faults.push({ match: 'POST /servers', error: 'resource_unavailable' });
      await assert.rejects(p.create(request('dep-c'), { idempotencyKey: 'k0' }));
      const m = await p.create(request('dep-c'), { idempotencyKey: 'k1' });
      await p.create(request('dep-c'), { idempotencyKey: 'k1' });
      await p.list();
      await p.list({ deploymentId: 'dep-c' });
      for (let i = 0; i < 200 && (await p.describe(m)).state !== 'running'; i++) await new Promise((r) => setTimeout(r, 20));
      await p.stop(m);
      for (let i = 0; i < 200 && (await p.describe(m)).state !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
      await p.start(m);
      for (let i = 0; i < 200 && (await p.describe(m)).state !== 'running'; i++) await new Promise((r) => setTimeout(r, 20));
      await p.setFirewall(m, [{ protocol: 'tcp', port: 22, cidrs: ['198.51.100.0/24', '2001:db8::/32'] }]);
      const v = await p.createVolume({ region: 'fsn1', sizeGb: 10, name: 'data', tags: aloftTags('dep-c') }, { idempotencyKey: 'v1' });
      await p.attachVolume(v.id, m);
      await p.listVolumes({ deploymentId: 'dep-c' });
      await p.detachVolume(v.id);
      await p.deleteVolume(v.id);
      const v2 = await p.createVolume({ region: 'fsn1', sizeGb: 10, name: 'cache', tags: aloftTags('dep-c') }, { idempotencyKey: 'v2' });
      await p.attachVolume(v2.id, m);
      const snap = await p.createSnapshot(m.id, aloftTags('dep-c'));
      await p.listSnapshots({ deploymentId: 'dep-c' });
      await p.deleteSnapshot(snap.id);
      await p.liveOffers();
      await p.destroy(m);
      await p.destroy(m);

      // A dev box whose second key the project already holds; then an existing firewall re-used.
      const box = request('dep-box', { kind: 'devbox', name: 'box', ssh_keys: [SSH_KEY, SSH_KEY_2] }, 22);
      await fetch(`${double.url}/ssh_keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${double.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'mine', public_key: SSH_KEY }),
      });
      double.faults.push({ match: 'POST /servers', error: 'server_error' });
      await assert.rejects(p.create(box, { idempotencyKey: 'kb0' }));
      const b = await p.create(box, { idempotencyKey: 'kb1' });
      await p.destroy(b);

      // A server Aloft did not make a firewall for.
      const made = await fetch(`${double.url}/servers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${double.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bare', server_type: 'cx22', location: 'fsn1', image: 'ubuntu-24.04', labels: { 'aloft-managed': 'true', 'aloft-deployment': 'dep-bare' } }),
      }).then((r) => r.json() as Promise<{ server: { id: number } }>);
      const bare = { provider: 'hetzner', id: String(made.server.id) };
      await p.setFirewall(bare, [{ protocol: 'tcp', port: 8443, cidrs: ['0.0.0.0/0'] }]);
      await p.destroy(bare);

      const rejected = seen.filter((s) => s.rejected !== null);
      assert.deepEqual(rejected.map((s) => `${s.line} → ${s.prismStatus} ${s.rejected}`), []);
      assert.deepEqual(prism.violations(before), []);

      const used = new Set(seen.map((s) => s.template));
      const expected = [
        'GET /servers', 'POST /servers', 'GET /servers/{id}', 'DELETE /servers/{id}',
        'POST /servers/{id}/actions/poweron', 'POST /servers/{id}/actions/poweroff', 'POST /servers/{id}/actions/create_image',
        'GET /actions/{id}',
        'GET /firewalls', 'POST /firewalls', 'PUT /firewalls/{id}', 'DELETE /firewalls/{id}', 'POST /firewalls/{id}/actions/set_rules',
        'GET /ssh_keys', 'POST /ssh_keys', 'DELETE /ssh_keys/{id}',
        'GET /volumes', 'POST /volumes', 'GET /volumes/{id}', 'DELETE /volumes/{id}', 'POST /volumes/{id}/actions/attach', 'POST /volumes/{id}/actions/detach',
        'GET /images', 'DELETE /images/{id}',
        'GET /server_types', 'GET /locations', 'GET /pricing',
      ];
      assert.deepEqual(expected.filter((e) => !used.has(e)), [], 'every endpoint the provider uses was exercised');
    });
  });

  test('sanity: prism does reject what Hetzner would', async () => {
    const before = prism.lines().length;
    const res = await fetch(`${prism.url}/servers`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', server_type: 'cx22', image: 'ubuntu-24.04', labels: { deployment: 'has=equals' } }),
    });
    assert.equal(res.status, 422);
    await res.text();
    for (let i = 0; i < 50 && prism.violations(before).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(prism.violations(before).length > 0, 'a validator error line was logged');
  });
});
