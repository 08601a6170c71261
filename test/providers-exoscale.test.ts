import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { createExoscaleProvider, endpointFor, fromEnv, type ExoscaleProvider } from '../src/providers/exoscale/index.js';
import { AuthError, CapacityError, InvalidRequestError, NotFoundError, QuotaError, ThrottledError, TransientError } from '../src/providers/errors.js';
import { aloftTags, canFirewall, canSnapshots, canStartStop, canVolumes, type CreateRequest, type Machine } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';
import { startExoscaleDouble, type ExoscaleDouble } from './doubles/exoscale-double.js';

const KEY = 'EXOtest0123456789abcdef0123';
const SECRET = 'test-secret-do-not-log';

let d: ExoscaleDouble;
let p: ExoscaleProvider;
const fast = { operationPollMs: 10, operationTimeoutMs: 5000, timeoutMs: 2000 };

function request(deploymentId: string, over: Partial<CreateRequest> = {}): CreateRequest {
  const spec = { kind: 'ollama', name: 'qwen', model: 'qwen2.5:0.5b' } as Spec;
  return {
    deploymentId,
    name: 'qwen',
    spec,
    offer: { provider: 'exoscale', region: 'ch-gva-2', instanceType: 'standard.medium' },
    port: 8443,
    userData: '#cloud-config\npackages: [curl]\n',
    diskGb: 20,
    tags: aloftTags(deploymentId),
    ...over,
  };
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

const groupsNamed = (name: string) => [...d.state.securityGroups.values()].filter((g) => g.name === name);

describe('Exoscale provider against the API double', () => {
  before(async () => {
    d = await startExoscaleDouble({ key: KEY, secret: SECRET });
    p = createExoscaleProvider({ key: KEY, secret: SECRET, zone: d.zone, endpoint: d.url, ...fast });
  });
  after(() => d.close());
  beforeEach(() => d.clearFaults());

  test('declares its capabilities', () => {
    assert.ok(canStartStop(p) && canFirewall(p) && canVolumes(p) && canSnapshots(p));
  });

  test('full lifecycle: create with labels, security group and user-data; ready; stop; start; destroy leaves nothing', async () => {
    const m = await p.create(request('dep-life'), { idempotencyKey: 'k-life' });
    assert.equal(m.provider, 'exoscale');
    assert.equal(m.region, 'ch-gva-2');
    assert.equal(m.instanceType, 'standard.medium');
    assert.equal(m.tags['aloft-managed'], 'true');
    assert.equal(m.tags['aloft-deployment'], 'dep-life');
    const inst = d.state.instances.get(m.id)!;
    assert.equal(Buffer.from(inst.userData!, 'base64').toString(), '#cloud-config\npackages: [curl]\n');
    assert.equal(inst.diskSize, 20);
    assert.match(inst.name, /^qwen-dep-life$/);
    const [sg] = groupsNamed('aloft-dep-life');
    assert.deepEqual(inst.securityGroups, [sg.id]);
    assert.deepEqual(
      sg.rules.map((r) => [r['flow-direction'], r.protocol, r['start-port'], r['end-port'], r.network]).sort(),
      [
        ['ingress', 'tcp', 8443, 8443, '0.0.0.0/0'],
        ['ingress', 'tcp', 8443, 8443, '::/0'],
      ],
    );

    const ready = await until(() => p.describe(m), (x: Machine) => x.state === 'running');
    assert.equal(ready.endpoint, `http://${inst.publicIp}:8443`);
    assert.deepEqual((await p.list({ deploymentId: 'dep-life' })).map((x) => x.id), [m.id]);

    await p.stop(m);
    assert.equal((await p.describe(m)).state, 'stopped');
    await p.start(m);
    assert.equal((await p.describe(m)).state, 'running');

    await p.destroy(m);
    await assert.rejects(p.describe(m), NotFoundError);
    assert.equal(groupsNamed('aloft-dep-life').length, 0);
    assert.deepEqual(await p.list({ deploymentId: 'dep-life' }), []);
    await p.destroy(m); // already gone: success
  });

  test('cleanupDeployment removes what an interrupted destroy left, and nothing while an instance lives', async () => {
    const m = await p.create(request('dep-left'), { idempotencyKey: 'k-left' });
    await p.cleanupDeployment('dep-left');
    assert.equal(groupsNamed('aloft-dep-left').length, 1, 'kept while the instance lives');
    d.fault({ kind: 'drop', method: 'GET', path: /^\/security-group$/ });
    await assert.rejects(p.destroy(m), TransientError);
    assert.equal(groupsNamed('aloft-dep-left').length, 1, 'the interrupted destroy left the group');
    await p.destroy(m);
    assert.equal(groupsNamed('aloft-dep-left').length, 1, 'a destroy of a gone instance cannot know it');
    await p.cleanupDeployment('dep-left');
    assert.equal(groupsNamed('aloft-dep-left').length, 0);
  });

  test('a throttled read right after the instance is made does not undo it', async () => {
    d.fault({ kind: 'throttle', method: 'GET', path: /^\/instance\/[0-9a-f-]{36}$/, times: 2, retryAfterSeconds: 0 });
    const m = await p.create(request('dep-readback'), { idempotencyKey: 'k-readback' });
    assert.equal((await p.list({ deploymentId: 'dep-readback' })).length, 1);
    assert.equal(groupsNamed('aloft-dep-readback').length, 1);
    await p.destroy(m);
  });

  test('create is idempotent on its key: one instance, one security group', async () => {
    const a = await p.create(request('dep-idem'), { idempotencyKey: 'k-idem' });
    const b = await p.create(request('dep-idem'), { idempotencyKey: 'k-idem' });
    assert.equal(a.id, b.id);
    assert.equal((await p.list({ deploymentId: 'dep-idem' })).length, 1);
    assert.equal(groupsNamed('aloft-dep-idem').length, 1);
    await p.destroy(a);
  });

  test('connection dropped before or after POST /instance: the failed create cleans up, the retry ends with one machine and one group', async () => {
    d.fault({ kind: 'drop', method: 'POST', path: /^\/instance$/ });
    await assert.rejects(p.create(request('dep-crash'), { idempotencyKey: 'k-crash' }), TransientError);
    assert.equal(groupsNamed('aloft-dep-crash').length, 0);
    const seen = d.requests.length;
    d.fault({ kind: 'drop-after', method: 'POST', path: /^\/instance$/ });
    await assert.rejects(p.create(request('dep-crash'), { idempotencyKey: 'k-crash' }), TransientError);
    assert.equal(groupsNamed('aloft-dep-crash').length, 0);
    // The instance was made before the connection dropped: the cleanup found it by its labels and deleted it.
    assert.ok(d.requests.slice(seen).some((r) => r.method === 'DELETE' && r.path.startsWith('/instance/') && r.status === 200));
    assert.ok(![...d.state.instances.values()].some((i) => i.labels['aloft-deployment'] === 'dep-crash'));
    const m = await p.create(request('dep-crash'), { idempotencyKey: 'k-crash' });
    assert.equal(groupsNamed('aloft-dep-crash').length, 1);
    assert.equal((await p.list({ deploymentId: 'dep-crash' })).length, 1);
    await p.destroy(m);
    assert.equal(groupsNamed('aloft-dep-crash').length, 0);
  });

  test('Tailscale deployments get a security group with no rules; setFirewall reconciles rules', async () => {
    const spec = { kind: 'ollama', name: 'ts', model: 'm', access: { tailscale: { auth_key_env: 'TS_KEY' } } } as Spec;
    const m = await p.create(request('dep-ts', { spec }), { idempotencyKey: 'k-ts' });
    const [sg] = groupsNamed('aloft-dep-ts');
    assert.deepEqual(sg.rules, []);
    await p.setFirewall(m, [{ protocol: 'tcp', port: 22, cidrs: ['203.0.113.7/32'] }]);
    assert.deepEqual(groupsNamed('aloft-dep-ts')[0].rules.map((r) => [r.protocol, r['start-port'], r.network]), [['tcp', 22, '203.0.113.7/32']]);
    await p.setFirewall(m, [{ protocol: 'udp', port: 41641, cidrs: ['0.0.0.0/0'] }]);
    assert.deepEqual(groupsNamed('aloft-dep-ts')[0].rules.map((r) => [r.protocol, r['start-port'], r.network]), [['udp', 41641, '0.0.0.0/0']]);
    await p.destroy(m);
  });

  test('volumes: idempotent create, attach, list, detach, delete; destroy removes all but kept ones', async () => {
    const m = await p.create(request('dep-vol'), { idempotencyKey: 'k-vm' });
    const tags = aloftTags('dep-vol');
    const v = await p.createVolume({ region: 'ch-gva-2', sizeGb: 100, name: 'models', tags }, { idempotencyKey: 'k-v1' });
    const again = await p.createVolume({ region: 'ch-gva-2', sizeGb: 100, name: 'models', tags }, { idempotencyKey: 'k-v1' });
    assert.equal(v.id, again.id);
    assert.equal(v.sizeGb, 100);
    await p.attachVolume(v.id, m);
    assert.equal((await p.listVolumes({ deploymentId: 'dep-vol' }))[0].attachedTo, m.id);
    await p.detachVolume(v.id);
    assert.equal((await p.listVolumes({ deploymentId: 'dep-vol' }))[0].attachedTo, undefined);
    await p.deleteVolume(v.id);
    await p.deleteVolume(v.id); // gone: success
    assert.deepEqual(await p.listVolumes({ deploymentId: 'dep-vol' }), []);

    const scratch = await p.createVolume({ region: 'ch-gva-2', sizeGb: 10, name: 'scratch', tags }, { idempotencyKey: 'k-v2' });
    const home = await p.createVolume({ region: 'ch-gva-2', sizeGb: 10, name: 'home', tags: { ...tags, 'aloft-keep': 'true' } }, { idempotencyKey: 'k-v3' });
    await p.attachVolume(scratch.id, m);
    await p.destroy(m);
    assert.deepEqual((await p.listVolumes({ deploymentId: 'dep-vol' })).map((x) => x.id), [home.id]);
    await p.deleteVolume(home.id);
    await assert.rejects(p.createVolume({ region: 'de-fra-1', sizeGb: 1, name: 'x', tags }, { idempotencyKey: 'k-v4' }), InvalidRequestError);
  });

  test('snapshots: create, list by deployment (also after the instance is gone), delete', async () => {
    const m = await p.create(request('dep-snap'), { idempotencyKey: 'k-snap' });
    await until(() => p.describe(m), (x: Machine) => x.state === 'running');
    const s = await p.createSnapshot(m.id, aloftTags('dep-snap'));
    assert.equal(s.sourceId, m.id);
    assert.equal(s.tags['aloft-deployment'], 'dep-snap');
    assert.deepEqual((await p.listSnapshots({ deploymentId: 'dep-snap' })).map((x) => x.id), [s.id]);
    assert.deepEqual(await p.listSnapshots({ deploymentId: 'someone-else' }), []);
    await p.destroy(m);
    const left = await p.listSnapshots({ deploymentId: 'dep-snap' });
    assert.deepEqual(left.map((x) => [x.id, x.tags['aloft-deployment']]), [[s.id, 'dep-snap']]);
    await p.deleteSnapshot(s.id);
    await p.deleteSnapshot(s.id);
    assert.deepEqual(await p.listSnapshots({ deploymentId: 'dep-snap' }), []);
  });

  test('capacity failure of the instance operation → CapacityError, and nothing is left behind', async () => {
    d.fault({ kind: 'capacity' });
    await assert.rejects(p.create(request('dep-cap'), { idempotencyKey: 'k-cap' }), CapacityError);
    assert.equal(groupsNamed('aloft-dep-cap').length, 0);
    assert.deepEqual(await p.list({ deploymentId: 'dep-cap' }), []);
    const m = await p.create(request('dep-cap'), { idempotencyKey: 'k-cap' });
    await p.destroy(m);
  });

  test('quota refusal → QuotaError; unauthorised GPU type → QuotaError; unknown type → InvalidRequestError', async () => {
    d.fault({ kind: 'quota' });
    await assert.rejects(p.create(request('dep-q'), { idempotencyKey: 'k-q' }), QuotaError);
    assert.equal(groupsNamed('aloft-dep-q').length, 0);
    const gpu3 = { provider: 'exoscale', region: 'ch-gva-2', instanceType: 'gpu3.small' };
    await assert.rejects(p.create(request('dep-q', { offer: gpu3 }), { idempotencyKey: 'k-q2' }), QuotaError);
    const nope = { provider: 'exoscale', region: 'ch-gva-2', instanceType: 'standard.nope' };
    await assert.rejects(p.create(request('dep-q', { offer: nope }), { idempotencyKey: 'k-q3' }), InvalidRequestError);
  });

  test('429 → ThrottledError with Retry-After; 500 → TransientError; dropped connection → TransientError; slow → TransientError', async () => {
    d.fault({ kind: 'throttle', retryAfterSeconds: 7, path: /^\/instance$/ });
    const err = await p.list().catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError);
    assert.equal(err.retryAfterMs, 7000);
    assert.equal(err.retryable, true);
    d.fault({ kind: 'error500', path: /^\/instance$/ });
    await assert.rejects(p.list(), TransientError);
    d.fault({ kind: 'drop', path: /^\/instance$/ });
    await assert.rejects(p.list(), TransientError);
    const slow = createExoscaleProvider({ key: KEY, secret: SECRET, zone: d.zone, endpoint: d.url, ...fast, timeoutMs: 100 });
    d.fault({ kind: 'latency', ms: 500, path: /^\/instance$/ });
    await assert.rejects(slow.list(), (e: unknown) => e instanceof TransientError && /timed out/.test(e.message));
    assert.ok(Array.isArray(await p.list()));
  });

  test('a failed operation poll is retried until the operation completes', async () => {
    d.fault({ kind: 'error500', path: /^\/operation\//, times: 2 });
    d.fault({ kind: 'throttle', path: /^\/operation\//, retryAfterSeconds: 0 });
    const m = await p.create(request('dep-poll'), { idempotencyKey: 'k-poll' });
    await p.destroy(m);
  });

  test('describe of an unknown instance → NotFoundError', async () => {
    await assert.rejects(p.describe({ provider: 'exoscale', id: '00000000-0000-4000-8000-000000000000' }), NotFoundError);
  });

  test('wrong secret → AuthError, and check() says so without the secret', async () => {
    const bad = createExoscaleProvider({ key: KEY, secret: 'wrong-secret', zone: d.zone, endpoint: d.url, ...fast });
    await assert.rejects(bad.list(), AuthError);
    const r = await bad.check();
    assert.equal(r.ok, false);
    assert.match(r.message, /rejected the credentials/);
    assert.ok(!r.message.includes('wrong-secret'));
    const unknownKey = createExoscaleProvider({ key: 'EXOnobody', secret: SECRET, zone: d.zone, endpoint: d.url, ...fast });
    await assert.rejects(unknownKey.list(), AuthError);
  });

  test('an expired signature → AuthError (the double checks `expires`)', async () => {
    const skewed = createExoscaleProvider({ key: KEY, secret: SECRET, zone: d.zone, endpoint: d.url, ...fast, now: () => Date.now() - 3_600_000 });
    await assert.rejects(skewed.list(), (e: unknown) => e instanceof AuthError && /expired/.test(e.message));
  });

  test('check() reports working credentials and the known quotas', async () => {
    const r = await p.check();
    assert.equal(r.ok, true);
    assert.equal(r.quota?.gpu, '0/2');
    assert.match(String(r.quota?.instance), /^\d+\/20$/);
  });

  test('large user-data is sent gzipped within the 32 KiB limit', async () => {
    const big = `#cloud-config\nwrite_files:\n${'  - path: /etc/x\n    content: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n'.repeat(1000)}`;
    const m = await p.create(request('dep-big', { userData: big }), { idempotencyKey: 'k-big' });
    const sent = Buffer.from(d.state.instances.get(m.id)!.userData!, 'base64');
    assert.equal(gunzipSync(sent).toString(), big);
    await p.destroy(m);
  });

  test('liveOffers lists the usable types with their GPUs', async () => {
    const offers = await p.liveOffers();
    assert.ok(offers.some((o) => o.instanceType === 'standard.medium' && o.gpu === null));
    assert.deepEqual(offers.find((o) => o.instanceType === 'gpua5000.small')?.gpu, { name: 'RTXA5000', count: 1, vramGb: 24 });
    assert.ok(!offers.some((o) => o.instanceType === 'gpu3.small'), 'unauthorised types are not offered');
  });
});

describe('a machine made in another zone (EXOSCALE_ZONE changed since)', () => {
  test('is described, found as a leftover with the zone hint, and destroyed there: never taken for gone', async () => {
    const gva = await startExoscaleDouble({ key: KEY, secret: SECRET, zone: 'ch-gva-2' });
    const fra = await startExoscaleDouble({ key: KEY, secret: SECRET, zone: 'de-fra-1' });
    try {
      const before = createExoscaleProvider({ key: KEY, secret: SECRET, zone: 'de-fra-1', endpoint: fra.url, ...fast });
      const inFra = { offer: { provider: 'exoscale', region: 'de-fra-1', instanceType: 'standard.medium' } };
      const m = await before.create(request('dep-moved', inFra), { idempotencyKey: 'k-moved' });
      const m2 = await before.create(request('dep-moved-2', inFra), { idempotencyKey: 'k-moved-2' });
      assert.equal(m.region, 'de-fra-1');

      const after = createExoscaleProvider({ key: KEY, secret: SECRET, zone: 'ch-gva-2', endpoint: gva.url, zoneEndpoints: { 'de-fra-1': fra.url }, ...fast });
      const seen = await until(() => after.describe(m), (x: Machine) => x.state === 'running');
      assert.equal(seen.region, 'de-fra-1');
      assert.deepEqual(await after.list({ deploymentId: 'dep-moved' }), [], 'list stays in the provider zone');
      assert.deepEqual(await after.leftovers('dep-moved'), [], 'without the hint only the provider zone is searched');
      const hint = { regions: ['de-fra-1'] };
      const found = await after.leftovers('dep-moved', hint);
      assert.deepEqual(found.filter((l) => l.kind === 'machine').map((l) => [l.id, l.region]), [[m.id, 'de-fra-1']]);

      await after.destroy(m);
      await assert.rejects(after.describe(m), NotFoundError);
      assert.equal([...fra.state.instances.values()].filter((i) => i.labels?.['aloft-deployment'] === 'dep-moved').length, 0);
      assert.deepEqual(await after.removeLeftovers('dep-moved-2', hint), []);
      assert.equal(fra.state.instances.size, 0, 'nothing left in the old zone');
      assert.equal(fra.state.securityGroups.size, 0);
    } finally {
      await gva.close();
      await fra.close();
    }
  });

  test('endpointFor: the provider zone gets `endpoint`; `{zone}` templates any zone; else the public one', () => {
    const o = { zone: 'ch-gva-2', endpoint: 'http://double/v2' };
    assert.equal(endpointFor(o, 'ch-gva-2'), 'http://double/v2');
    assert.equal(endpointFor(o, 'de-fra-1'), undefined, 'undefined: the client uses https://api-<zone>.exoscale.com/v2');
    assert.equal(endpointFor({ zone: 'ch-gva-2', endpoint: 'https://proxy/{zone}/v2' }, 'de-fra-1'), 'https://proxy/de-fra-1/v2');
    assert.equal(endpointFor({ ...o, zoneEndpoints: { 'de-fra-1': 'http://other/v2' } }, 'de-fra-1'), 'http://other/v2');
  });
});

describe('fromEnv', () => {
  test('null without credentials; EXOSCALE_API_ENDPOINT replaces the base URL', async () => {
    assert.equal(fromEnv({}), null);
    assert.equal(fromEnv({ EXOSCALE_API_KEY: 'k' }), null);
    const dd = await startExoscaleDouble({ key: KEY, secret: SECRET, zone: 'de-fra-1' });
    try {
      const prov = fromEnv({ EXOSCALE_API_KEY: KEY, EXOSCALE_API_SECRET: SECRET, EXOSCALE_ZONE: 'de-fra-1', EXOSCALE_API_ENDPOINT: dd.url });
      assert.ok(prov);
      const r = await prov.check();
      assert.equal(r.ok, true, r.message);
      assert.match(r.message, /de-fra-1/);
    } finally {
      await dd.close();
    }
  });
});
