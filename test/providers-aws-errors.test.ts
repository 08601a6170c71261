/**
 * AWS errors over the wire: each EC2 error code the double injects arrives as the right typed
 * error; a wrong secret is rejected by the double's SigV4 check; the endpoint can be moved with
 * AWS_ENDPOINT_URL_EC2/_SSM (the SDK's own resolution); fromEnv does not hang on IMDS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createAwsProvider, fromEnv, type AwsProvider } from '../src/providers/aws/index.js';
import { AuthError, CapacityError, NotFoundError, QuotaError, ThrottledError, TransientError, type ProviderError } from '../src/providers/errors.js';
import { aloftTags, type CreateRequest } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';
import { startEc2Double, TEST_KEY, type Ec2Double } from './doubles/ec2-double.js';

const REGION = 'ap-south-1';
let double: Ec2Double;
let p: AwsProvider;

before(async () => {
  double = await startEc2Double({ timing: { pendingMs: 50, stoppingMs: 50, shuttingDownMs: 50 } });
  p = createAwsProvider({ region: REGION, endpoint: double.url, credentials: TEST_KEY, maxAttempts: 1, sgDeleteAttempts: 1, requestTimeoutMs: 1500 });
});
after(async () => {
  await double.close();
});

let seq = 0;
function request(): CreateRequest {
  const deploymentId = `err-${process.pid}-${++seq}`;
  return {
    deploymentId,
    name: 'svc',
    spec: { kind: 'service', name: 'svc', command: 'true' } as Spec,
    offer: { provider: 'aws', region: REGION, instanceType: 'g5.xlarge', gpu: { name: 'A10G', count: 1, vramGb: 24 } },
    port: 8443,
    tags: aloftTags(deploymentId),
  };
}
const groupsOf = (deploymentId: string) => [...double.world.groups.values()].filter((g) => g.tags['aloft-deployment'] === deploymentId);

describe('aws error mapping over the wire', () => {
  const cases: [string, number, new (...a: never[]) => ProviderError][] = [
    ['InsufficientInstanceCapacity', 500, CapacityError],
    ['Unsupported', 400, CapacityError],
    ['RequestLimitExceeded', 503, ThrottledError],
    ['Throttling', 400, ThrottledError],
    ['AuthFailure', 401, AuthError],
    ['UnauthorizedOperation', 403, AuthError],
    ['VcpuLimitExceeded', 400, QuotaError],
    ['InternalError', 500, TransientError],
  ];
  for (const [code, status, Type] of cases) {
    test(`RunInstances ${code} → ${Type.name}, and the security group it made is gone`, async () => {
      const req = request();
      double.inject({ kind: 'error', action: 'RunInstances', code, status, message: `injected ${code}` });
      const err = await p.create(req, { idempotencyKey: `k-${req.deploymentId}` }).then(
        () => assert.fail('create should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof Type, `${code}: got ${String(err)}`);
      assert.equal((err as ProviderError).providerCode, code);
      assert.deepEqual(groupsOf(req.deploymentId), [], 'no leaked security group');
    });
  }

  test('throttling carries Retry-After; the SDK retries a single throttle itself when allowed', async () => {
    double.inject({ kind: 'throttle', action: 'DescribeInstances', retryAfterSeconds: 7 });
    const err = await p.list().catch((e: unknown) => e);
    assert.ok(err instanceof ThrottledError);
    assert.equal(err.retryAfterMs, 7000);
    const patient = createAwsProvider({ region: REGION, endpoint: double.url, credentials: TEST_KEY, maxAttempts: 2 });
    double.inject({ kind: 'throttle', action: 'DescribeInstances' });
    assert.ok(Array.isArray(await patient.list()));
  });

  test('the capacity fault fails only the offer it matches: the next offer succeeds', async () => {
    const req = request();
    double.inject({ kind: 'capacity', action: 'RunInstances', match: (q) => (q as Record<string, unknown>).InstanceType === 'g5.xlarge', times: Infinity });
    try {
      await assert.rejects(p.create(req, { idempotencyKey: `a-${req.deploymentId}` }), CapacityError);
      const m = await p.create({ ...req, offer: { ...req.offer, instanceType: 'g6.xlarge' } }, { idempotencyKey: `b-${req.deploymentId}` });
      assert.equal(m.instanceType, 'g6.xlarge');
      await p.destroy(m);
    } finally {
      double.clearFaults();
    }
  });

  test('dropped connections, 5xx and timeouts are transient', async () => {
    double.inject({ kind: 'drop', action: 'DescribeInstances' });
    await assert.rejects(p.list(), TransientError);
    double.inject({ kind: '5xx', action: 'DescribeInstances' });
    await assert.rejects(p.list(), TransientError);
    double.inject({ kind: 'latency', action: 'DescribeInstances', ms: 3000 });
    await assert.rejects(p.list(), TransientError);
  });

  test('an unknown instance is NotFoundError; destroying it is success', async () => {
    await assert.rejects(p.describe({ provider: 'aws', id: 'i-0123456789abcdef0', region: REGION }), NotFoundError);
    await p.destroy({ provider: 'aws', id: 'i-0123456789abcdef0', region: REGION });
  });

  test('a wrong secret is rejected by signature verification: AuthError, and check() says so', async () => {
    const wrong = createAwsProvider({ region: REGION, endpoint: double.url, credentials: { ...TEST_KEY, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    const err = await wrong.list().catch((e: unknown) => e);
    assert.ok(err instanceof AuthError, String(err));
    assert.equal(err.providerCode, 'AuthFailure');
    const check = await wrong.check();
    assert.equal(check.ok, false);
    assert.match(check.message, /credentials rejected/);
    assert.doesNotMatch(check.message, /not-the-secret/);
  });

  test('check() with good credentials reports the account quotas', async () => {
    const check = await p.check();
    assert.equal(check.ok, true, check.message);
    assert.equal(check.quota?.['max-instances'], '20');
  });
});

describe('aws configuration from the environment', () => {
  let home: string;
  let closedPort: number;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'aloft-aws-'));
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closedPort = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('no credentials anywhere → null, promptly, even with a metadata endpoint that does not answer', async () => {
    const started = Date.now();
    const env = { HOME: home, AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${closedPort}` };
    assert.equal(await fromEnv(env), null);
    assert.ok(Date.now() - started < 2000);
  });

  test('an instance role behind IMDSv2 counts as credentials', async () => {
    const imds = http.createServer((req, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.end('tok-123');
      if (req.url === '/latest/meta-data/iam/security-credentials/' && req.headers['x-aws-ec2-metadata-token'] === 'tok-123') return void res.end('aloft-role');
      res.writeHead(401).end();
    });
    await new Promise<void>((r) => imds.listen(0, '127.0.0.1', r));
    try {
      const env = { HOME: home, AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(imds.address() as AddressInfo).port}` };
      assert.ok(await fromEnv(env));
    } finally {
      imds.closeAllConnections();
      await new Promise((r) => imds.close(r));
    }
  });

  test('keys and AWS_ENDPOINT_URL_EC2/_SSM in process.env reach the double through the SDK’s own resolution', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_EC2: double.url,
      AWS_ENDPOINT_URL_SSM: double.url,
      HOME: home,
    });
    try {
      const before = double.requests.length;
      const env = await fromEnv(process.env);
      assert.ok(env);
      assert.equal((await env.check()).ok, true);
      const req = request();
      const m = await env.create({ ...req, offer: { ...req.offer, instanceType: 't3.micro', gpu: null } }, { idempotencyKey: `env-${req.deploymentId}` });
      await env.destroy(m);
      const seen = double.requests.slice(before);
      assert.ok(seen.some((r) => r.service === 'ssm' && r.action === 'GetParameter'), 'SSM went to AWS_ENDPOINT_URL_SSM');
      assert.ok(seen.some((r) => r.service === 'ec2' && r.action === 'RunInstances'), 'EC2 went to AWS_ENDPOINT_URL_EC2');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
