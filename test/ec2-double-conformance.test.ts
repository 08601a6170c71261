/**
 * The EC2 double's answers conform to the EC2 API model: after a full provider workout,
 * every XML response is walked against the output shape the official SDK carries for that
 * operation (@aws-sdk/client-ec2's schemas, generated from AWS's Smithy model). An element
 * EC2 does not have — a typo the SDK would silently drop — or a value of the wrong type
 * (a number that is not one, a boolean that is not true/false, a bad timestamp) fails here.
 * Error bodies must have EC2's <Response><Errors><Error><Code> form.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { XMLParser } from 'fast-xml-parser';
import { createAwsProvider } from '../src/providers/aws/index.js';
import { aloftTags, type CreateRequest } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';
import { startEc2Double, TEST_KEY, type Ec2Double } from './doubles/ec2-double.js';

// The SDK's schema objects are exported from its CommonJS build: [kind, namespace, name, traits, …].
const sdk = createRequire(import.meta.url)('@aws-sdk/client-ec2') as Record<string, unknown>;
type Schema = unknown;
const STRUCT = 3;
const LIST = 1;
const LIST_OF_STRINGS = 64;

const resolveSchema = (s: Schema): Schema => (typeof s === 'function' ? resolveSchema((s as () => Schema)()) : s);

function check(node: unknown, schema: Schema, path: string, problems: string[]): void {
  const s = resolveSchema(schema);
  if (typeof s === 'number') {
    if (s === LIST_OF_STRINGS) return;
    const text = typeof node === 'string' ? node : '';
    if (typeof node === 'object' && node !== null) return void problems.push(`${path}: expected a value, got elements`);
    if (s === 1 && !/^-?\d+(\.\d+)?$/.test(text)) problems.push(`${path}: "${text}" is not a number`);
    if (s === 2 && text !== 'true' && text !== 'false') problems.push(`${path}: "${text}" is not a boolean`);
    if (s === 4 && Number.isNaN(Date.parse(text))) problems.push(`${path}: "${text}" is not a timestamp`);
    return;
  }
  if (!Array.isArray(s)) return;
  if (s[0] === LIST) {
    if (node === '' || node === undefined) return;
    const items = (node as { item?: unknown[] }).item;
    if (typeof node !== 'object' || !Array.isArray(items)) return void problems.push(`${path}: a list must hold <item> elements`);
    const member = Array.isArray(s[4]) && (s[4] as unknown[]).length === 2 && typeof (s[4] as unknown[])[1] === 'object' ? (s[4] as unknown[])[0] : s[4];
    items.forEach((it, i) => check(it, member, `${path}[${i}]`, problems));
    return;
  }
  if (s[0] === STRUCT) {
    if (node === '') return;
    if (typeof node !== 'object' || node === null) return void problems.push(`${path}: expected elements, got "${String(node)}"`);
    const names = s[4] as string[];
    const members = s[5] as [Schema, { xmlName?: string }][];
    for (const [key, value] of Object.entries(node)) {
      const at = members.findIndex((m, i) => (Array.isArray(m) ? m[1]?.xmlName : undefined) === key || names[i]!.charAt(0).toLowerCase() + names[i]!.slice(1) === key);
      if (at < 0) {
        problems.push(`${path}.${key}: not an element of ${String(s[2])}`);
        continue;
      }
      const m = members[at]!;
      check(value, Array.isArray(m) ? m[0] : m, `${path}.${key}`, problems);
    }
  }
}

let double: Ec2Double;
before(async () => {
  double = await startEc2Double({ timing: { pendingMs: 50, stoppingMs: 50, shuttingDownMs: 100, volumeMs: 20, snapshotMs: 20 } });
});
after(async () => {
  await double.close();
});

test('every answer of the double matches the EC2 API model', async () => {
  const p = createAwsProvider({ region: 'eu-west-2', endpoint: double.url, credentials: TEST_KEY, maxAttempts: 1, sgDeleteAttempts: 1, logPollMs: 20 });
  const dep = `conf-${process.pid}`;
  const req: CreateRequest = {
    deploymentId: dep,
    name: 'conf',
    spec: { kind: 'ollama', name: 'conf', model: 'qwen2.5:0.5b' } as Spec,
    offer: { provider: 'aws', region: 'eu-west-2', instanceType: 'g5.xlarge', gpu: { name: 'A10G', count: 1, vramGb: 24 } },
    port: 8443,
    userData: '#cloud-config\n',
    tags: aloftTags(dep),
  };
  const until = async (f: () => Promise<boolean>) => {
    for (let n = 0; n < 400 && !(await f()); n++) await new Promise((r) => setTimeout(r, 25));
  };
  await p.check();
  const m = await p.create(req, { idempotencyKey: dep });
  await until(async () => (await p.describe(m)).state === 'running');
  await p.setFirewall(m, [{ protocol: 'tcp', port: 22, cidrs: ['192.0.2.0/24'] }]);
  const v = await p.createVolume({ region: 'eu-west-2', sizeGb: 4, name: 'v', tags: aloftTags(dep) }, { idempotencyKey: `${dep}-v` });
  const volumeIs = (state: string) => async () => (double.world.tick(), double.world.volumes.get(v.id)?.state === state);
  await until(volumeIs('available'));
  await p.attachVolume(v.id, m);
  const s = await p.createSnapshot(v.id, aloftTags(dep));
  await p.listSnapshots({ deploymentId: dep });
  await p.detachVolume(v.id);
  for await (const _ of p.logs(m)) void _;
  await p.stop(m);
  await until(async () => (await p.describe(m)).state === 'stopped');
  await p.start(m);
  await p.deleteSnapshot(s.id);
  await until(volumeIs('available'));
  await p.deleteVolume(v.id);
  await p.destroy(m);
  await until(async () => (await p.removeLeftovers(dep)).length === 0);
  await p.describe({ provider: 'aws', id: 'i-0000000000000000f', region: 'eu-west-2' }).catch(() => undefined);

  const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, isArray: (name) => name === 'item' });
  const problems: string[] = [];
  const actions = new Set<string>();
  let errors = 0;
  for (const r of double.responses.filter((x) => x.service === 'ec2')) {
    const doc = parser.parse(r.body) as Record<string, Record<string, unknown>>;
    if (r.status !== 200) {
      errors++;
      const e = (doc.Response?.Errors as { Error?: { Code?: string; Message?: string } } | undefined)?.Error;
      if (!e?.Code || e.Message === undefined || !doc.Response?.RequestID) problems.push(`${r.action} error body is not EC2's: ${r.body}`);
      continue;
    }
    actions.add(r.action);
    const op = sdk[`${r.action}$`] as unknown[] | undefined;
    assert.ok(op, `the SDK has no operation ${r.action}`);
    const root = doc[`${r.action}Response`];
    if (!root) {
      problems.push(`${r.action}: root element is not <${r.action}Response>`);
      continue;
    }
    const { requestId, ...body } = root;
    if (typeof requestId !== 'string' || !requestId) problems.push(`${r.action}: no requestId`);
    check(body, op[5], r.action, problems);
  }
  assert.deepEqual(problems, []);
  assert.ok(errors > 0, 'error bodies were checked too');
  for (const a of ['RunInstances', 'DescribeInstances', 'DescribeImages', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress', 'CreateVolume', 'AttachVolume', 'DetachVolume', 'DescribeVolumes', 'CreateSnapshot', 'DescribeSnapshots', 'GetConsoleOutput', 'StopInstances', 'StartInstances', 'TerminateInstances', 'DescribeAccountAttributes', 'DescribeSecurityGroups']) {
    assert.ok(actions.has(a), `${a} was exercised`);
  }
});
