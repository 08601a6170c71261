import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapAwsError } from './client.js';
import { archOfType, clientToken, mapState } from './machine.js';
import { newText } from './logs.js';
import { dlamiNamePattern, newest, ubuntuParameter } from './images.js';
import { AuthError, CapacityError, InvalidRequestError, NotFoundError, QuotaError, ThrottledError, TransientError } from '../errors.js';

const sdkError = (name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client', headers: Record<string, string> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $fault: fault, $metadata: { httpStatusCode: status }, $response: { headers } });

test('mapAwsError follows the issue’s table and the SDK’s error shapes', () => {
  assert.ok(mapAwsError(sdkError('InsufficientInstanceCapacity', 500), 'x') instanceof CapacityError);
  assert.ok(mapAwsError(sdkError('Unsupported', 400), 'x') instanceof CapacityError);
  const t = mapAwsError(sdkError('RequestLimitExceeded', 503, 'server', { 'retry-after': '2' }), 'x');
  assert.ok(t instanceof ThrottledError);
  assert.equal(t.retryAfterMs, 2000);
  assert.ok(mapAwsError(sdkError('Throttling', 400), 'x') instanceof ThrottledError);
  assert.ok(mapAwsError(sdkError('AuthFailure', 401), 'x') instanceof AuthError);
  assert.ok(mapAwsError(sdkError('UnauthorizedOperation', 403), 'x') instanceof AuthError);
  assert.ok(mapAwsError(Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }), 'x') instanceof AuthError);
  assert.ok(mapAwsError(sdkError('VcpuLimitExceeded', 400), 'x') instanceof QuotaError);
  assert.ok(mapAwsError(sdkError('InvalidInstanceID.NotFound', 400), 'x') instanceof NotFoundError);
  assert.ok(mapAwsError(sdkError('ParameterNotFound', 400), 'x') instanceof NotFoundError);
  assert.ok(mapAwsError(sdkError('InternalError', 500), 'x') instanceof TransientError);
  assert.ok(mapAwsError(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }), 'x') instanceof TransientError);
  const bad = mapAwsError(sdkError('InvalidParameterValue', 400), 'run instance');
  assert.ok(bad instanceof InvalidRequestError);
  assert.equal(bad.providerCode, 'InvalidParameterValue');
  assert.match(bad.message, /^aws: run instance: InvalidParameterValue: InvalidParameterValue happened$/);
});

test('clientToken keeps short keys and hashes long or non-ASCII ones to 64 hex characters', () => {
  assert.equal(clientToken('abc'), 'abc');
  assert.match(clientToken('k'.repeat(65)), /^[0-9a-f]{64}$/);
  assert.match(clientToken('clé'), /^[0-9a-f]{64}$/);
  assert.equal(clientToken('k'.repeat(65)), clientToken('k'.repeat(65)));
});

test('EC2 states map onto machine states', () => {
  assert.deepEqual(
    ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated', 'weird'].map(mapState),
    ['pending', 'running', 'stopping', 'stopped', 'stopping', 'terminated', 'unknown'],
  );
});

test('Graviton families are arm64', () => {
  assert.deepEqual(['m7g.large', 'c7gn.xlarge', 't4g.small', 'g5g.xlarge', 'g5.xlarge', 'g4dn.xlarge', 'p4d.24xlarge', 'm7i.large'].map(archOfType), [
    'arm64', 'arm64', 'arm64', 'arm64', 'x86_64', 'x86_64', 'x86_64', 'x86_64',
  ]);
});

test('image names and parameters', () => {
  assert.equal(ubuntuParameter('22.04', 'x86_64'), '/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id');
  assert.equal(ubuntuParameter('24.04', 'arm64'), '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id');
  assert.match(dlamiNamePattern('arm64'), /^Deep Learning ARM64 Base OSS Nvidia Driver GPU AMI \(Ubuntu 22\.04\)\*$/);
  assert.equal(newest([{ ImageId: 'a', CreationDate: '2026-01-01T00:00:00.000Z' }, { ImageId: 'b', CreationDate: '2026-02-01T00:00:00.000Z' }])?.ImageId, 'b');
});

test('console follow prints only new text, also after the 64 KB buffer rolled over', () => {
  assert.equal(newText('a\nb\n', 'a\nb\nc\n'), 'c\n');
  assert.equal(newText('a\nb\nc\n', 'b\nc\nd\n'), 'd\n');
  assert.equal(newText('x\n', 'y\n'), 'y\n');
});

test('catalog: every offer’s architecture agrees with the instance family, one row per type and region', async () => {
  const { awsOffers } = await import('./catalog.js');
  const offers = awsOffers();
  assert.ok(offers.length > 0);
  for (const o of offers) {
    assert.equal(archOfType(o.instanceType), o.arch, o.instanceType);
    assert.ok(o.pricePerHour > 0 && o.vcpus > 0 && o.memoryGb > 0, o.instanceType);
  }
  assert.equal(new Set(offers.map((o) => `${o.region} ${o.instanceType}`)).size, offers.length);
  assert.ok(offers.some((o) => o.gpu && o.gpu.vramGb >= 24 && o.pricePerHour <= 1.5), 'a 24 GB GPU under $1.50/h exists (examples/ollama-gpu.yaml)');
  assert.deepEqual(awsOffers({ regions: ['eu-north-9'] }), []);
});
