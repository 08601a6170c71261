/**
 * The AWS provider against the EC2/SSM double: what the double RECEIVED is asserted (tags,
 * IMDSv2, encrypted gp3, ClientToken, user-data, security group rules), not only what the
 * provider returns.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAwsProvider, type AwsProvider, type AwsProviderOptions } from '../src/providers/aws/index.js';
import { InvalidRequestError } from '../src/providers/errors.js';
import { aloftTags, canFirewall, canLeftovers, canLogs, canSnapshots, canStartStop, canVolumes, type CreateRequest, type Machine } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';
import { startEc2Double, TEST_KEY, type Ec2Double } from './doubles/ec2-double.js';
import type { QueryObject } from './doubles/ec2-wire.js';

const REGION = 'eu-west-1';
let double: Ec2Double;
const providers: AwsProvider[] = [];

before(async () => {
  double = await startEc2Double({ timing: { pendingMs: 100, stoppingMs: 100, shuttingDownMs: 150, volumeMs: 30, snapshotMs: 50 } });
});
after(async () => {
  await double.close();
});

function provider(extra: Partial<AwsProviderOptions> = {}): AwsProvider {
  const p = createAwsProvider({ region: REGION, endpoint: double.url, credentials: TEST_KEY, maxAttempts: 1, sgDeleteAttempts: 1, sgDeleteDelayMs: 50, logPollMs: 50, ...extra });
  providers.push(p);
  return p;
}

let seq = 0;
function request(over: Partial<CreateRequest> = {}, spec: Partial<Spec> = {}): CreateRequest {
  const deploymentId = over.deploymentId ?? `dep-${process.pid}-${++seq}`;
  return {
    deploymentId,
    name: 'qwen',
    spec: { kind: 'ollama', name: 'qwen', model: 'qwen2.5:0.5b', ...spec } as Spec,
    offer: { provider: 'aws', region: REGION, instanceType: 'g5.xlarge', gpu: { name: 'A10G', count: 1, vramGb: 24 } },
    port: 8443,
    userData: '#cloud-config\nruncmd:\n  - echo hello\n',
    tags: aloftTags(deploymentId),
    ...over,
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
const waitState = (p: AwsProvider, m: Machine, state: string) =>
  waitFor(`${m.id} ${state}`, async () => {
    const d = await p.describe(m);
    return d.state === state ? d : undefined;
  });

/** The params of the last call of `action` whose params satisfy `pick`. */
function lastCall(action: string, pick: (p: QueryObject) => boolean = () => true): QueryObject {
  const c = double.calls(action).filter((r) => pick(r.params as QueryObject)).at(-1);
  assert.ok(c, `no ${action} call`);
  return c.params as QueryObject;
}
const tagMap = (spec: QueryObject): Record<string, string> =>
  Object.fromEntries(((spec.Tag ?? []) as QueryObject[]).map((t) => [t.Key as string, t.Value as string]));
const specOf = (p: QueryObject, type: string) => ((p.TagSpecification ?? []) as QueryObject[]).find((s) => s.ResourceType === type);

describe('aws provider lifecycle', () => {
  test('declares every capability it implements', () => {
    const p = provider();
    assert.ok(canStartStop(p) && canFirewall(p) && canVolumes(p) && canSnapshots(p) && canLogs(p) && canLeftovers(p));
  });

  test('create → running with endpoint; what EC2 received; stop/start; destroy leaves nothing', async () => {
    const p = provider();
    const req = request();
    const m = await p.create(req, { idempotencyKey: `key-${req.deploymentId}` });
    assert.equal(m.state, 'pending');
    assert.equal(m.region, REGION);

    const run = lastCall('RunInstances', (x) => x.ClientToken === `key-${req.deploymentId}`);
    assert.equal(run.InstanceType, 'g5.xlarge');
    assert.deepEqual(run.MetadataOptions, { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: '2' });
    assert.deepEqual(run.BlockDeviceMapping, [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: '100', VolumeType: 'gp3', Encrypted: 'true', DeleteOnTermination: 'true' } }]);
    assert.equal(Buffer.from(run.UserData as string, 'base64').toString('utf8'), req.userData);
    assert.equal(run.InstanceMarketOptions, undefined);
    for (const type of ['instance', 'volume']) {
      const tags = tagMap(specOf(run, type)!);
      assert.equal(tags['aloft-managed'], 'true', type);
      assert.equal(tags['aloft-deployment'], req.deploymentId, type);
    }
    // GPU offer → the newest Deep Learning Base AMI (the double has two).
    const image = double.world.images.get(run.ImageId as string)!;
    assert.match(image.name, /^Deep Learning Base OSS Nvidia Driver GPU AMI \(Ubuntu 22\.04\) 20260312$/);

    // Security group: tagged, only the proxy port.
    const sgId = (run.SecurityGroupId as string[])[0]!;
    const sg = double.world.groups.get(sgId)!;
    assert.equal(sg.tags['aloft-deployment'], req.deploymentId);
    assert.deepEqual(sg.ingress, [{ protocol: 'tcp', fromPort: 8443, toPort: 8443, cidr: '0.0.0.0/0' }]);

    const running = await waitState(p, m, 'running');
    assert.match(running.endpoint!, /^http:\/\/203\.0\.113\.\d+:8443$/);
    assert.equal(running.details?.httpTokens, 'required');
    assert.deepEqual((await p.list({ deploymentId: req.deploymentId })).map((x) => x.id), [m.id]);

    await p.stop(m);
    const stopped = await waitState(p, m, 'stopped');
    assert.equal(stopped.endpoint, undefined);
    await p.start(m);
    await waitState(p, m, 'running');

    await p.destroy(m);
    await waitFor('fully removed', async () => {
      await p.destroy(m); // repeatable until everything is gone
      const d = await p.describe(m);
      return d.state === 'terminated' && (await p.leftovers(req.deploymentId)).length === 0;
    });
    assert.equal(double.world.groups.has(sgId), false, 'security group deleted');
    assert.equal([...double.world.volumes.values()].filter((v) => v.tags['aloft-deployment'] === req.deploymentId).length, 0, 'root volume deleted');
    assert.deepEqual(await p.list({ deploymentId: req.deploymentId }), []);
    await p.destroy(m); // already gone is success
  });

  test('CPU offers boot Ubuntu 24.04 from the SSM public parameter, arm64 for Graviton', async () => {
    const p = provider();
    const req = request({ offer: { provider: 'aws', region: REGION, instanceType: 'm7g.large', gpu: null } });
    const m = await p.create(req, { idempotencyKey: `cpu-${req.deploymentId}` });
    const ssm = double.calls('GetParameter').at(-1)!;
    assert.equal((ssm.params as { Name: string }).Name, '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id');
    const run = lastCall('RunInstances', (x) => x.ClientToken === `cpu-${req.deploymentId}`);
    assert.equal(double.world.images.get(run.ImageId as string)!.arch, 'arm64');
    assert.equal((run.BlockDeviceMapping as QueryObject[])[0]!.Ebs && ((run.BlockDeviceMapping as QueryObject[])[0]!.Ebs as QueryObject).VolumeSize, '30');
    await p.destroy(m);
  });

  test('leftovers in a region no longer configured are found and removed with the engine\'s region hint', async () => {
    const other = 'ap-south-1';
    const req = request({ offer: { provider: 'aws', region: other, instanceType: 't3.small', gpu: null } });
    const m = await provider().create(req, { idempotencyKey: `hint-${req.deploymentId}` });
    assert.equal(m.region, other);
    // A restarted control plane configured for REGION only: without the hint it looks in the wrong place.
    const restarted = provider();
    assert.deepEqual(await restarted.leftovers(req.deploymentId), []);
    const hint = { regions: [other] };
    const found = await restarted.leftovers(req.deploymentId, hint);
    assert.deepEqual(found.map((l) => [l.kind, l.region]).sort(), [['firewall', other], ['machine', other], ['volume', other]]);
    await waitFor('all removed', async () => (await restarted.removeLeftovers(req.deploymentId, hint)).length === 0, 15_000);
    assert.equal([...double.world.groups.values()].filter((g) => g.tags['aloft-deployment'] === req.deploymentId).length, 0);
  });

  test('spot goes through InstanceMarketOptions; a one-time spot machine cannot be stopped', async () => {
    const p = provider();
    const req = request({ offer: { provider: 'aws', region: REGION, instanceType: 'g6.xlarge', spot: true, gpu: { name: 'L4', count: 1, vramGb: 24 } } });
    const m = await p.create(req, { idempotencyKey: `spot-${req.deploymentId}` });
    const run = lastCall('RunInstances', (x) => x.ClientToken === `spot-${req.deploymentId}`);
    assert.deepEqual(run.InstanceMarketOptions, { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } });
    assert.equal(m.details?.spot, true);
    await waitState(p, m, 'running');
    await assert.rejects(p.stop(m), InvalidRequestError);
    await p.destroy(m);
  });

  test('with Tailscale the security group opens nothing; setFirewall opens exactly what it is given', async () => {
    const p = provider();
    const req = request({}, { access: { tailscale: { auth_key_env: 'TS_KEY' } } });
    const m = await p.create(req, { idempotencyKey: `ts-${req.deploymentId}` });
    const sgId = (m.details!.securityGroupIds as string[])[0]!;
    assert.deepEqual(double.world.groups.get(sgId)!.ingress, []);
    await p.setFirewall(m, [{ protocol: 'tcp', port: 22, cidrs: ['198.51.100.0/24'] }]);
    assert.deepEqual(double.world.groups.get(sgId)!.ingress, [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.0/24' }]);
    await p.setFirewall(m, [{ protocol: 'tcp', port: 8443, cidrs: ['0.0.0.0/0'] }]);
    assert.deepEqual(double.world.groups.get(sgId)!.ingress, [{ protocol: 'tcp', fromPort: 8443, toPort: 8443, cidr: '0.0.0.0/0' }]);
    await p.destroy(m);
  });
});

describe('aws provider idempotency', () => {
  test('create twice with the same key returns the same machine; a new process finds it by tag', async () => {
    const p = provider();
    const req = request();
    const key = `idem-${req.deploymentId}`;
    const a = await p.create(req, { idempotencyKey: key });
    const b = await p.create(req, { idempotencyKey: key });
    const c = await provider().create(req, { idempotencyKey: key }); // "after a crash": fresh provider
    assert.equal(b.id, a.id);
    assert.equal(c.id, a.id);
    assert.equal(double.calls('RunInstances').filter((r) => (r.params as QueryObject).ClientToken === key).length, 1);
    await p.destroy(a);
  });

  test('a lost RunInstances response is retried with the same ClientToken: one instance', async () => {
    const p = provider({ maxAttempts: 2 });
    const req = request();
    const key = `lost-${req.deploymentId}`;
    double.inject({ kind: 'drop-after', action: 'RunInstances' });
    const m = await p.create(req, { idempotencyKey: key });
    assert.equal(double.calls('RunInstances').filter((r) => (r.params as QueryObject).ClientToken === key).length, 2);
    const mine = [...double.world.instances.values()].filter((i) => i.tags['aloft-deployment'] === req.deploymentId);
    assert.deepEqual(mine.map((i) => i.id), [m.id]);
    await p.destroy(m);
  });

  test('idempotency keys longer than 64 characters are hashed into a valid ClientToken', async () => {
    const p = provider();
    const req = request();
    const key = `long-${'x'.repeat(100)}-${req.deploymentId}`;
    const m = await p.create(req, { idempotencyKey: key });
    const token = double.world.instances.get(m.id)!.clientToken!;
    assert.match(token, /^[0-9a-f]{64}$/);
    await p.destroy(m);
  });

  test('list follows pagination', async () => {
    const p = provider({ pageSize: 5 });
    const made: Machine[] = [];
    for (let n = 0; n < 7; n++) {
      const req = request({ offer: { provider: 'aws', region: REGION, instanceType: 't3.small', gpu: null } });
      made.push(await p.create(req, { idempotencyKey: `page-${req.deploymentId}` }));
    }
    const before = double.calls('DescribeInstances').length;
    const ids = new Set((await p.list()).map((m) => m.id));
    for (const m of made) assert.ok(ids.has(m.id), m.id);
    assert.ok(double.calls('DescribeInstances').length - before >= 2, 'more than one page was read');
    assert.ok(double.calls('DescribeInstances').slice(before).some((r) => (r.params as QueryObject).NextToken !== undefined));
    for (const m of made) await p.destroy(m);
  });
});
