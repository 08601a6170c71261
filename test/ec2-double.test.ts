/**
 * The EC2 double keeps the promises the provider tests rely on: SigV4 is really verified
 * (a tampered body or another service's scope fails), ClientToken reuse with other
 * parameters is refused, a group still held by an instance cannot be deleted, a page token
 * survives an instance vanishing between pages.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EC2Client, CreateSecurityGroupCommand, DeleteSecurityGroupCommand, DescribeImagesCommand, DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { startEc2Double, TEST_KEY, type Ec2Double } from './doubles/ec2-double.js';

let d: Ec2Double;
let ec2: EC2Client;
before(async () => {
  d = await startEc2Double({ timing: { shuttingDownMs: 100 } });
  ec2 = new EC2Client({ region: 'eu-west-3', endpoint: d.url, credentials: TEST_KEY, maxAttempts: 1 });
});
after(async () => {
  ec2.destroy();
  await d.close();
});

async function signedPost(body: string, tamper?: string, service = 'ec2'): Promise<{ status: number; text: string }> {
  const url = new URL(d.url);
  const req = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const signed = await new SignatureV4({ credentials: TEST_KEY, region: 'eu-west-3', service, sha256: Sha256 }).sign(req);
  const res = await fetch(d.url, { method: 'POST', headers: signed.headers as Record<string, string>, body: tamper ?? body });
  return { status: res.status, text: await res.text() };
}

test('a correctly signed raw Query request works; a tampered body or a foreign service scope is AuthFailure', async () => {
  const body = 'Action=DescribeAvailabilityZones&Version=2016-11-15';
  const ok = await signedPost(body);
  assert.equal(ok.status, 200);
  assert.match(ok.text, /<DescribeAvailabilityZonesResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/">/);
  const tampered = await signedPost(body, 'Action=DescribeAccountAttributes&Version=2016-11-15');
  assert.equal(tampered.status, 401);
  assert.match(tampered.text, /<Response><Errors><Error><Code>AuthFailure<\/Code>/);
  const foreign = await signedPost(body, undefined, 's3');
  assert.equal(foreign.status, 401);
});

test('ClientToken: same parameters → same instance; other parameters → IdempotentParameterMismatch', async () => {
  const imgs = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-*'] }] }));
  const ImageId = imgs.Images![0]!.ImageId!;
  const base = { ImageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' as const, ClientToken: 'tok-1' };
  const a = await ec2.send(new RunInstancesCommand(base));
  const b = await ec2.send(new RunInstancesCommand(base));
  assert.equal(b.Instances![0]!.InstanceId, a.Instances![0]!.InstanceId);
  await assert.rejects(ec2.send(new RunInstancesCommand({ ...base, InstanceType: 't3.small' })), { name: 'IdempotentParameterMismatch' });
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.Instances![0]!.InstanceId!] }));
});

test('a security group held by a not-yet-terminated instance cannot be deleted', async () => {
  const imgs = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const g = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'held', Description: 'held' }));
  const r = await ec2.send(new RunInstancesCommand({ ImageId: imgs.Images![0]!.ImageId!, MinCount: 1, MaxCount: 1, InstanceType: 'g5.xlarge', SecurityGroupIds: [g.GroupId!], BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 80 } }] }));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [r.Instances![0]!.InstanceId!] }));
  await assert.rejects(ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId! })), { name: 'DependencyViolation' });
  for (;;) {
    try {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId! }));
      break;
    } catch (err) {
      assert.equal((err as Error).name, 'DependencyViolation');
      await new Promise((res) => setTimeout(res, 25));
    }
  }
  assert.equal(d.world.groups.has(g.GroupId!), false);
});

test('DescribeInstances pages: an instance that vanishes between pages skips no other one', async () => {
  const imgs = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-*'] }] }));
  const made: string[] = [];
  for (let n = 0; n < 7; n++) {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: imgs.Images![0]!.ImageId!, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'page', Value: 'p1' }] }] }));
    made.push(run.Instances![0]!.InstanceId!);
  }
  const Filters = [{ Name: 'tag:page', Values: ['p1'] }];
  const first = await ec2.send(new DescribeInstancesCommand({ Filters, MaxResults: 5 }));
  const seen = first.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!));
  assert.equal(seen.length, 5);
  assert.ok(first.NextToken);
  d.world.instances.delete(seen[0]!); // terminated long enough ago: gone from every answer
  const second = await ec2.send(new DescribeInstancesCommand({ Filters, MaxResults: 5, NextToken: first.NextToken }));
  seen.push(...second.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)));
  assert.deepEqual([...seen].sort(), [...made].sort());
  assert.equal(second.NextToken, undefined);
  await assert.rejects(ec2.send(new DescribeInstancesCommand({ Filters, MaxResults: 5, NextToken: 'bogus' })), { name: 'InvalidParameterValue' });
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: made.slice(1) }));
});
