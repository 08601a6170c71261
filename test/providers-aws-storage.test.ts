/**
 * The AWS provider's volumes, snapshots, console logs and leftovers against the EC2 double.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAwsProvider, type AwsProvider } from '../src/providers/aws/index.js';
import { aloftTags, type CreateRequest, type Machine } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';
import { startEc2Double, TEST_KEY, type Ec2Double } from './doubles/ec2-double.js';

const REGION = 'us-west-2';
let double: Ec2Double;
let p: AwsProvider;

before(async () => {
  double = await startEc2Double({ timing: { pendingMs: 80, stoppingMs: 80, shuttingDownMs: 2500, volumeMs: 30, snapshotMs: 50 } });
  p = createAwsProvider({ region: REGION, endpoint: double.url, credentials: TEST_KEY, maxAttempts: 1, sgDeleteAttempts: 1, sgDeleteDelayMs: 20, logPollMs: 30 });
});
after(async () => {
  await double.close();
});

let seq = 0;
function request(): CreateRequest {
  const deploymentId = `st-${process.pid}-${++seq}`;
  return {
    deploymentId,
    name: 'box',
    spec: { kind: 'devbox', name: 'box', ssh_keys: ['ssh-ed25519 AAAA test'] } as Spec,
    offer: { provider: 'aws', region: REGION, instanceType: 't3.medium', gpu: null },
    port: 8443,
    userData: '#cloud-config\n',
    tags: aloftTags(deploymentId),
  };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const running = (m: Machine) => waitFor('running', async () => (await p.describe(m)).state === 'running');
const volumeState = (id: string) => {
  double.world.tick(); // time moves on requests; looking directly needs a nudge
  return double.world.volumes.get(id)?.state;
};

describe('aws volumes and snapshots', () => {
  test('a volume is created encrypted gp3 in the machine’s zone, attached, detached, snapshotted and deleted', async () => {
    const req = request();
    const m = await p.create(req, { idempotencyKey: `vol-${req.deploymentId}` });
    await running(m);
    const v = await p.createVolume({ region: REGION, sizeGb: 20, name: 'home', tags: aloftTags(req.deploymentId) }, { idempotencyKey: `home-${req.deploymentId}` });
    const again = await p.createVolume({ region: REGION, sizeGb: 20, name: 'home', tags: aloftTags(req.deploymentId) }, { idempotencyKey: `home-${req.deploymentId}` });
    assert.equal(again.id, v.id, 'ClientToken makes createVolume idempotent');
    const dv = double.world.volumes.get(v.id)!;
    assert.equal(dv.type, 'gp3');
    assert.equal(dv.encrypted, true);
    assert.equal(dv.az, double.world.instances.get(m.id)!.az);
    assert.equal(dv.tags['aloft-deployment'], req.deploymentId);

    await waitFor('volume available', async () => volumeState(v.id) === 'available');
    await p.attachVolume(v.id, m);
    await p.attachVolume(v.id, m); // already attached: no-op
    assert.equal(double.world.volumes.get(v.id)!.attachment?.device, '/dev/sdf');
    const listed = await p.listVolumes({ deploymentId: req.deploymentId });
    assert.equal(listed.find((x) => x.id === v.id)?.attachedTo, m.id);

    const snap = await p.createSnapshot(v.id, aloftTags(req.deploymentId, { purpose: 'home' }));
    assert.equal(snap.sourceId, v.id);
    const rootSnap = await p.createSnapshot(m.id, aloftTags(req.deploymentId));
    assert.notEqual(rootSnap.sourceId, v.id, 'an instance id snapshots its root volume');
    const snaps = await p.listSnapshots({ deploymentId: req.deploymentId });
    assert.deepEqual(snaps.map((s) => s.id).sort(), [snap.id, rootSnap.id].sort());
    assert.equal(snaps.find((s) => s.id === snap.id)?.tags.purpose, 'home');

    await p.detachVolume(v.id);
    await waitFor('detached', async () => volumeState(v.id) === 'available');
    await p.detachVolume(v.id); // already detached: success
    await p.deleteVolume(v.id);
    await waitFor('deleted', async () => volumeState(v.id) === undefined);
    await p.deleteVolume(v.id); // already gone: success
    for (const s of snaps) await p.deleteSnapshot(s.id);
    await p.deleteSnapshot(snap.id);
    assert.deepEqual(await p.listSnapshots({ deploymentId: req.deploymentId }), []);
    await p.destroy(m);
  });

  test('destroy deletes unkept volumes and keeps those tagged aloft-keep=true', async () => {
    const req = request();
    const m = await p.create(req, { idempotencyKey: `keep-${req.deploymentId}` });
    await running(m);
    const scratch = await p.createVolume({ region: REGION, sizeGb: 5, name: 'scratch', tags: aloftTags(req.deploymentId) }, { idempotencyKey: `s-${req.deploymentId}` });
    const home = await p.createVolume({ region: REGION, sizeGb: 5, name: 'home', tags: aloftTags(req.deploymentId, { 'aloft-keep': 'true' }) }, { idempotencyKey: `h-${req.deploymentId}` });
    await waitFor('volumes available', async () => volumeState(scratch.id) === 'available' && volumeState(home.id) === 'available');
    await p.attachVolume(home.id, m);
    await p.destroy(m);
    await waitFor('removed', async () => {
      await p.destroy(m);
      return (await p.leftovers(req.deploymentId)).length === 0;
    });
    assert.equal(double.world.volumes.has(scratch.id), false);
    assert.equal(volumeState(home.id), 'available', 'kept volume survives, detached by termination');
    await p.deleteVolume(home.id);
  });
});

describe('aws leftovers', () => {
  test('a security group held by a shutting-down instance is reported, then removed by a later destroy', async () => {
    const req = request();
    const m = await p.create(req, { idempotencyKey: `left-${req.deploymentId}` });
    await running(m);
    await p.destroy(m);
    const left = await p.leftovers(req.deploymentId);
    assert.ok(left.some((l) => l.kind === 'firewall'), JSON.stringify(left));
    assert.ok(left.some((l) => l.kind === 'machine' && l.state === 'shutting-down'), JSON.stringify(left));
    assert.equal((await p.describe(m)).state, 'stopping');
    assert.ok((await p.list({ deploymentId: req.deploymentId })).some((x) => x.id === m.id), 'list keeps reporting it');
    await waitFor('terminated', async () => (await p.describe(m)).state === 'terminated');
    await p.destroy(m);
    assert.deepEqual(await p.leftovers(req.deploymentId), []);
  });

  test('removeLeftovers cleans up by deployment id alone, even without the machine record', async () => {
    const req = request();
    const m = await p.create(req, { idempotencyKey: `orphan-${req.deploymentId}` });
    await running(m);
    const rest = await waitFor('removed', async () => {
      const r = await p.removeLeftovers(req.deploymentId);
      return r.length === 0 ? r : undefined;
    });
    assert.deepEqual(rest, []);
    assert.equal(double.world.instances.get(m.id)!.state, 'terminated');
  });
});

describe('aws console logs', () => {
  test('logs returns the console (tail) and follows new lines until aborted', async () => {
    const req = request();
    const m = await p.create(req, { idempotencyKey: `logs-${req.deploymentId}` });
    await running(m);
    const all: string[] = [];
    for await (const line of p.logs(m)) all.push(line);
    assert.ok(all.some((l) => l.includes('is running')), all.join('\n'));
    // A non-Nitro type refuses Latest=true: the provider falls back to the boot-time console.
    double.inject({ kind: 'error', action: 'GetConsoleOutput', code: 'UnsupportedOperation', message: 'Latest is only supported on Nitro', match: (q) => (q as Record<string, unknown>).Latest === 'true' });
    const older: string[] = [];
    for await (const line of p.logs(m)) older.push(line);
    assert.deepEqual(older, all);
    assert.equal(double.calls('GetConsoleOutput').at(-1)!.params.Latest, 'false');
    const tail: string[] = [];
    for await (const line of p.logs(m, { tail: 1 })) tail.push(line);
    assert.deepEqual(tail, all.slice(-1));

    const ac = new AbortController();
    const followed: string[] = [];
    const done = (async () => {
      for await (const line of p.logs(m, { follow: true, signal: ac.signal })) {
        followed.push(line);
        if (line.includes('is stopping')) ac.abort();
      }
    })();
    await p.stop(m);
    await waitFor('stop line followed', async () => followed.some((l) => l.includes('is stopping')));
    await done;
    assert.equal(followed.filter((l) => l.includes('is running')).length, 1, 'old lines are not repeated');
    await p.destroy(m);
  });
});
