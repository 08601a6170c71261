/**
 * The Hetzner provider against the stateful Hetzner double: the whole lifecycle,
 * idempotency, nothing leaked, and the typed error for every injected fault.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHetznerDouble, type HetznerDouble } from './doubles/hetzner-double.js';
import { createHetznerProvider, fromEnv, type HetznerProvider, type HetznerProviderOptions } from '../src/providers/hetzner/index.js';
import { createHetznerClient } from '../src/providers/hetzner/client.js';
import { fetchHetznerOffers, HETZNER_EUR_USD } from '../src/providers/hetzner/catalog.js';
import { sshFingerprint } from '../src/providers/hetzner/create.js';
import {
  AuthError,
  CapacityError,
  NotFoundError,
  QuotaError,
  ThrottledError,
  TransientError,
} from '../src/providers/errors.js';
import { aloftTags, canFirewall, canSnapshots, canStartStop, canVolumes, type CreateRequest, type MachineRef, type MachineState } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0ZXN0a2V5Zm9yYWxvZnRoZXR6bmVydGVzdHMxMjM0NTY3 dev@laptop';
const SSH_KEY_2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNlY29uZGtleWZvcmFsb2Z0aGV0em5lcnRlc3RzMTIzNDU2 other@laptop';

function request(deploymentId: string, spec: Partial<Spec> & { kind?: Spec['kind'] } = {}, over: Partial<CreateRequest> = {}): CreateRequest {
  const full = { kind: 'ollama', name: 'qwen-small', model: 'qwen2.5:0.5b', ...spec } as Spec;
  return {
    deploymentId,
    name: full.name,
    spec: full,
    offer: { provider: 'hetzner', region: 'fsn1', instanceType: 'cx22' },
    port: 8443,
    userData: '#cloud-config\npackages: [docker.io]\n',
    tags: aloftTags(deploymentId),
    ...over,
  };
}

async function waitFor(p: HetznerProvider, ref: MachineRef, state: MachineState, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await p.describe(ref);
    if (m.state === state) return m;
    if (Date.now() > deadline) assert.fail(`machine ${ref.id} stayed ${m.state}, wanted ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejects<T extends Error>(p: Promise<unknown>, type: new (...a: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    return err as T;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

let double: HetznerDouble;
let provider: HetznerProvider;
const make = (o: Partial<HetznerProviderOptions> = {}) =>
  createHetznerProvider({ token: double.token, endpoint: double.url, actionWaitMs: 10_000, destroyWaitMs: 10_000, ...o });

before(async () => {
  double = await startHetznerDouble({ actionMs: 80 });
  provider = make();
});
after(() => double.close());

const leftovers = (deployment: string) => {
  const has = (l: Record<string, string>) => l['aloft-deployment'] === deployment;
  const c = double.cloud;
  return {
    servers: [...c.servers.values()].filter((s) => has(s.labels)).length,
    firewalls: [...c.firewalls.values()].filter((f) => has(f.labels)).length,
    keys: [...c.sshKeys.values()].filter((k) => has(k.labels)).length,
    volumes: [...c.volumes.values()].filter((v) => has(v.labels)).length,
  };
};

describe('hetzner provider lifecycle', () => {
  test('declares its capabilities', () => {
    assert.ok(canStartStop(provider) && canFirewall(provider) && canVolumes(provider) && canSnapshots(provider));
    assert.equal(fromEnv({}), null);
    assert.equal(fromEnv({ HCLOUD_TOKEN: 'x', HCLOUD_ENDPOINT: double.url })?.name, 'hetzner');
    assert.ok(!JSON.stringify(provider).includes(double.token), 'the token is not a property');
  });

  test('check() reports a working token and the known quota', async () => {
    const r = await provider.check();
    assert.equal(r.ok, true, r.message);
    assert.equal(typeof r.quota?.rateLimitPerHour, 'number');
    assert.equal(typeof r.quota?.servers, 'number');
    const bad = await createHetznerProvider({ token: 'wrong-secret-token', endpoint: double.url }).check();
    assert.equal(bad.ok, false);
    assert.match(bad.message, /rejected/);
    assert.ok(!bad.message.includes('wrong-secret-token'));
  });

  test('create is idempotent, labels everything and opens only the port', async () => {
    const req = request('dep-life-1');
    const m1 = await provider.create(req, { idempotencyKey: 'k-life-1' });
    const m2 = await provider.create(req, { idempotencyKey: 'k-life-1' });
    assert.equal(m1.id, m2.id);
    assert.equal(leftovers('dep-life-1').servers, 1);
    assert.equal(m1.state, 'pending');
    assert.equal(m1.region, 'fsn1');
    assert.equal(m1.instanceType, 'cx22');
    assert.match(m1.endpoint ?? '', /^http:\/\/203\.0\.113\.\d+:8443$/);
    assert.equal(m1.tags['aloft-managed'], 'true');
    assert.equal(m1.tags['aloft-deployment'], 'dep-life-1');
    assert.match(m1.tags['aloft-idempotency'] ?? '', /^[0-9a-f]{32}$/);

    const server = double.cloud.servers.get(Number(m1.id))!;
    assert.equal(server.userData, req.userData);
    assert.equal(server.image?.name, 'ubuntu-24.04');
    const fws = double.cloud.firewallsOf(server.id);
    assert.equal(fws.length, 1);
    assert.deepEqual(fws[0]!.rules.map((r) => [r.direction, r.protocol, r.port, r.source_ips]), [['in', 'tcp', '8443', ['0.0.0.0/0', '::/0']]]);
    assert.equal(fws[0]!.labels['aloft-server'], m1.id);
    assert.equal(double.requests.filter((r) => r.method === 'POST' && r.path === '/servers').length, 1);

    const running = await waitFor(provider, m1, 'running');
    assert.equal(running.publicIp, m1.publicIp);
  });

  test('list finds machines by deployment tag', async () => {
    const all = await provider.list();
    const one = await provider.list({ deploymentId: 'dep-life-1' });
    assert.equal(one.length, 1);
    assert.ok(all.some((m) => m.id === one[0]!.id));
    assert.deepEqual(await provider.list({ deploymentId: 'no-such-deployment' }), []);
  });

  test('stop and start', async () => {
    const [m] = await provider.list({ deploymentId: 'dep-life-1' });
    await provider.stop(m!);
    await waitFor(provider, m!, 'stopped');
    await provider.start(m!);
    await waitFor(provider, m!, 'running');
  });

  test('setFirewall opens exactly the given rules', async () => {
    const [m] = await provider.list({ deploymentId: 'dep-life-1' });
    await provider.setFirewall(m!, [{ protocol: 'tcp', port: 22, cidrs: ['198.51.100.0/24'] }]);
    const fws = double.cloud.firewallsOf(Number(m!.id));
    assert.deepEqual(fws.map((f) => f.rules.map((r) => [r.protocol, r.port, r.source_ips])), [[['tcp', '22', ['198.51.100.0/24']]]]);
    await provider.setFirewall(m!, [{ protocol: 'tcp', port: 8443, cidrs: ['0.0.0.0/0', '::/0'] }]);
    assert.equal(double.cloud.firewallsOf(Number(m!.id))[0]!.rules[0]!.port, '8443');
  });

  test('volumes: create (idempotent), attach, list, detach', async () => {
    const [m] = await provider.list({ deploymentId: 'dep-life-1' });
    const vreq = { region: 'fsn1', sizeGb: 5, name: 'cache', tags: aloftTags('dep-life-1') };
    const v1 = await provider.createVolume(vreq, { idempotencyKey: 'vol-1' });
    const v2 = await provider.createVolume(vreq, { idempotencyKey: 'vol-1' });
    assert.equal(v1.id, v2.id);
    assert.equal(v1.sizeGb, 10, 'rounded up to Hetzner minimum');
    await provider.attachVolume(v1.id, m!);
    let [listed] = await provider.listVolumes({ deploymentId: 'dep-life-1' });
    assert.equal(listed?.attachedTo, m!.id);
    await provider.detachVolume(v1.id);
    [listed] = await provider.listVolumes({ deploymentId: 'dep-life-1' });
    assert.equal(listed?.attachedTo, undefined);
    await provider.attachVolume(v1.id, m!); // destroy must clean an attached volume too
    const kept = await provider.createVolume({ ...vreq, name: 'home', tags: aloftTags('dep-life-1', { 'aloft-keep': 'true' }) }, { idempotencyKey: 'vol-keep' });
    assert.equal((await provider.listVolumes({ deploymentId: 'dep-life-1' })).length, 2);
    assert.ok(kept.id);
  });

  test('snapshots: create, list, delete', async () => {
    const [m] = await provider.list({ deploymentId: 'dep-life-1' });
    const snap = await provider.createSnapshot(m!.id, aloftTags('dep-life-1'));
    assert.equal(snap.sourceId, m!.id);
    const listed = await provider.listSnapshots({ deploymentId: 'dep-life-1' });
    assert.deepEqual(listed.map((s) => s.id), [snap.id]);
    assert.equal(double.cloud.images.get(Number(snap.id))?.type, 'snapshot');
    await provider.deleteSnapshot(snap.id);
    await provider.deleteSnapshot(snap.id); // gone is fine
    assert.deepEqual(await provider.listSnapshots({ deploymentId: 'dep-life-1' }), []);
  });

  test('destroy removes server, firewall and volumes; keeps aloft-keep volumes; twice is fine', async () => {
    const [m] = await provider.list({ deploymentId: 'dep-life-1' });
    await provider.destroy(m!);
    assert.deepEqual(leftovers('dep-life-1'), { servers: 0, firewalls: 0, keys: 0, volumes: 1 });
    assert.equal([...double.cloud.volumes.values()].find((v) => v.labels['aloft-deployment'] === 'dep-life-1')?.labels['aloft-keep'], 'true');
    await provider.destroy(m!);
    await rejects(provider.describe(m!), NotFoundError);
    assert.deepEqual(await provider.list({ deploymentId: 'dep-life-1' }), []);
  });

  test('a dev box gets its SSH keys, and destroy removes only the ones it made', async () => {
    // The user's own key already sits in the project under their name.
    const client = createHetznerClient({ token: double.token, endpoint: double.url });
    const { ssh_key: theirs } = await client.post<{ ssh_key: { id: number; fingerprint: string } }>('/ssh_keys', { name: 'my-laptop', public_key: SSH_KEY_2 });
    assert.equal(theirs.fingerprint, sshFingerprint(SSH_KEY_2));
    const req = request('dep-devbox', { kind: 'devbox', name: 'box', ssh_keys: [SSH_KEY, SSH_KEY_2] } as Partial<Spec>, { port: 22 });
    const m = await provider.create(req, { idempotencyKey: 'k-box' });
    const server = double.cloud.servers.get(Number(m.id))!;
    assert.equal(server.sshKeys.length, 2);
    assert.ok(server.sshKeys.includes(theirs.id));
    assert.equal(leftovers('dep-devbox').keys, 1);
    await provider.destroy(m);
    assert.deepEqual(leftovers('dep-devbox'), { servers: 0, firewalls: 0, keys: 0, volumes: 0 });
    assert.ok(double.cloud.sshKeys.has(theirs.id), "the user's own key is never deleted");
  });

  test('tailscale: the firewall opens nothing', async () => {
    const req = request('dep-ts', { access: { tailscale: { auth_key_env: 'TS_KEY' } } });
    const m = await provider.create(req, { idempotencyKey: 'k-ts' });
    assert.deepEqual(double.cloud.firewallsOf(Number(m.id))[0]!.rules, []);
    await provider.destroy(m);
    assert.deepEqual(leftovers('dep-ts'), { servers: 0, firewalls: 0, keys: 0, volumes: 0 });
  });

  test('destroy that outlives its wait says "try again", and the retry cleans up after the server is gone', async () => {
    const slow = make({ destroyWaitMs: 10 });
    const m = await slow.create(request('dep-slow'), { idempotencyKey: 'k-slow' });
    await waitFor(slow, m, 'running');
    await rejects(slow.destroy(m), TransientError);
    // The deletion goes on without us; wait until the server is gone.
    assert.deepEqual(await slow.list({ deploymentId: 'dep-slow' }), [], 'a deleting server is no longer listed');
    const stillThere = () => slow.describe(m).then(() => true, (err) => (err instanceof NotFoundError ? false : Promise.reject(err)));
    for (let i = 0; i < 300 && (await stillThere()); i++) await new Promise((r) => setTimeout(r, 50));
    await rejects(slow.describe(m), NotFoundError);
    assert.equal(leftovers('dep-slow').firewalls, 1);
    await slow.destroy(m);
    assert.deepEqual(leftovers('dep-slow'), { servers: 0, firewalls: 0, keys: 0, volumes: 0 });
  });

  test('leftovers: a deployment without a machine record is found by label and removed', async () => {
    const m = await provider.create(request('dep-orphan'), { idempotencyKey: 'k-orphan' });
    await provider.createVolume({ region: 'fsn1', sizeGb: 10, name: 'orphan', tags: aloftTags('dep-orphan') }, { idempotencyKey: 'v-orphan' });
    const found = await provider.leftovers('dep-orphan');
    assert.deepEqual(found.map((l) => l.kind).sort(), ['firewall', 'machine', 'volume']);
    assert.ok(found.some((l) => l.kind === 'machine' && l.id === m.id));
    let left = await provider.removeLeftovers('dep-orphan');
    for (let i = 0; i < 200 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      left = await provider.removeLeftovers('dep-orphan');
    }
    assert.deepEqual(left, []);
    assert.deepEqual(leftovers('dep-orphan'), { servers: 0, firewalls: 0, keys: 0, volumes: 0 });
  });

  test('live offers: server types × locations, deprecated ones left out, prices in USD', async () => {
    const offers = await fetchHetznerOffers(createHetznerClient({ token: double.token, endpoint: double.url }));
    assert.ok(offers.length > 20);
    assert.ok(!offers.some((o) => o.instanceType === 'cx11'), 'deprecated type excluded');
    const cx22 = offers.find((o) => o.instanceType === 'cx22' && o.region === 'fsn1')!;
    assert.equal(cx22.pricePerHour, Math.round(0.006 * HETZNER_EUR_USD * 1e5) / 1e5);
    assert.equal(cx22.vcpus, 2);
    assert.equal(cx22.memoryGb, 4);
    assert.equal(cx22.gpu, null);
    assert.equal(offers.find((o) => o.instanceType === 'cax11')?.arch, 'arm64');
    assert.ok(!offers.some((o) => o.instanceType === 'cx22' && o.region === 'ash'));
    assert.ok((cx22.diskPricePerGbMonth ?? 0) > 0);
    const live = await provider.liveOffers({ region: 'ash' });
    assert.ok(live.length > 0 && live.every((o) => o.region === 'ash'));
  });

  test('listAll follows pagination', async () => {
    for (let i = 0; i < 53; i++) {
      double.cloud.sshKeys.set(900000 + i, { id: 900000 + i, name: `bulk-${i}`, public_key: 'x', fingerprint: `fp-${i}`, labels: { bulk: 'yes' }, created: double.cloud.now() });
    }
    const client = createHetznerClient({ token: double.token, endpoint: double.url });
    const keys = await client.listAll<{ id: number }>('/ssh_keys', 'ssh_keys', { label_selector: 'bulk=yes' });
    assert.equal(keys.length, 53);
    for (let i = 0; i < 53; i++) double.cloud.sshKeys.delete(900000 + i);
  });
});

describe('hetzner provider errors', () => {
  test('resource_unavailable → CapacityError, and the firewall made for it is removed', async () => {
    double.faults.push({ match: 'POST /servers', error: 'resource_unavailable', times: 1 });
    await rejects(provider.create(request('dep-cap'), { idempotencyKey: 'k-cap' }), CapacityError);
    assert.deepEqual(leftovers('dep-cap'), { servers: 0, firewalls: 0, keys: 0, volumes: 0 });
    // The engine's next offer succeeds.
    const m = await provider.create(request('dep-cap', {}, { offer: { provider: 'hetzner', region: 'nbg1', instanceType: 'cx22' } }), { idempotencyKey: 'k-cap-2' });
    assert.equal(m.region, 'nbg1');
    await provider.destroy(m);
  });

  test('a failed create of a dev box leaves neither firewall nor keys', async () => {
    double.faults.push({ match: 'POST /servers', error: 'invalid_input', times: 1 });
    const req = request('dep-fail', { kind: 'devbox', name: 'box', ssh_keys: [SSH_KEY] } as Partial<Spec>, { port: 22 });
    await assert.rejects(provider.create(req, { idempotencyKey: 'k-fail' }));
    assert.deepEqual(leftovers('dep-fail'), { servers: 0, firewalls: 0, keys: 0, volumes: 0 });
  });

  test('rate_limit_exceeded → ThrottledError with retryAfterMs from RateLimit-Reset', async () => {
    double.faults.push({ match: 'GET /servers', error: 'rate_limit_exceeded', resetInS: 3 });
    const err = await rejects(provider.list(), ThrottledError);
    assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs > 1000 && err.retryAfterMs <= 4000, `retryAfterMs=${err.retryAfterMs}`);
    assert.equal(err.retryable, true);
  });

  test('resource_limit_exceeded → QuotaError (a real server limit)', async () => {
    const limited = await startHetznerDouble({ actionMs: 20, serverLimit: 0 });
    try {
      const p = createHetznerProvider({ token: limited.token, endpoint: limited.url });
      await rejects(p.create(request('dep-quota'), { idempotencyKey: 'k-q' }), QuotaError);
      assert.equal(limited.cloud.firewalls.size, 0);
    } finally {
      await limited.close();
    }
  });

  test('unauthorized → AuthError; 404 → NotFoundError', async () => {
    const p = createHetznerProvider({ token: 'nope', endpoint: double.url });
    const err = await rejects(p.list(), AuthError);
    assert.ok(!err.message.includes('nope'));
    await rejects(provider.describe({ provider: 'hetzner', id: '424242' }), NotFoundError);
    await provider.destroy({ provider: 'hetzner', id: '424242' }); // gone is success
  });

  test('5xx, dropped connection and timeout → TransientError', async () => {
    double.faults.push({ match: 'GET /servers', error: 'server_error' });
    assert.equal((await rejects(provider.list(), TransientError)).providerCode, 'server_error');
    double.faults.push({ match: 'GET /servers', drop: true });
    await rejects(provider.list(), TransientError);
    double.faults.push({ match: 'GET /servers', latencyMs: 1000 });
    const hurried = make({ timeoutMs: 100 });
    assert.equal((await rejects(hurried.list(), TransientError)).providerCode, 'timeout');
  });

  test('latency alone only slows a call down', async () => {
    double.faults.push({ match: 'GET /servers', latencyMs: 150 });
    const t0 = Date.now();
    await provider.list();
    assert.ok(Date.now() - t0 >= 140);
  });

  test('a lost answer to POST /servers does not make a second machine', async () => {
    double.faults.push({ match: 'POST /servers', dropAfter: true });
    const m = await provider.create(request('dep-lost'), { idempotencyKey: 'k-lost' });
    assert.equal(leftovers('dep-lost').servers, 1);
    const again = await provider.create(request('dep-lost'), { idempotencyKey: 'k-lost' });
    assert.equal(again.id, m.id);
    assert.equal(leftovers('dep-lost').firewalls, 1);
    await provider.destroy(m);
    assert.deepEqual(leftovers('dep-lost'), { servers: 0, firewalls: 0, keys: 0, volumes: 0 });
  });

  test('an action on a busy server → TransientError (locked)', async () => {
    // Slow actions, so the server is surely still being created when stop is asked.
    const slow = await startHetznerDouble({ actionMs: 60_000 });
    try {
      const p = createHetznerProvider({ token: slow.token, endpoint: slow.url });
      const m = await p.create(request('dep-locked'), { idempotencyKey: 'k-locked' });
      const err = await rejects(p.stop(m), TransientError);
      assert.equal(err.providerCode, 'locked');
    } finally {
      await slow.close();
    }
  });
});
