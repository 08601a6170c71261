import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapHetznerError, mapNetworkError, retryAfterMs } from './errors.js';
import { labelValue, deploymentSelector, resourceName, toLabels } from './labels.js';
import { machineState } from './machine.js';

test('Hetzner error codes map to the typed errors', () => {
  const h = new Headers();
  const cases: [number, string, string][] = [
    [403, 'resource_unavailable', 'capacity'],
    [412, 'placement_error', 'capacity'],
    [403, 'resource_limit_exceeded', 'quota'],
    [401, 'unauthorized', 'auth'],
    [403, 'forbidden', 'auth'],
    [404, 'not_found', 'not_found'],
    [429, 'rate_limit_exceeded', 'throttled'],
    [500, 'server_error', 'transient'],
    [503, 'unavailable', 'transient'],
    [423, 'locked', 'transient'],
    [422, 'resource_in_use', 'transient'],
    [400, 'invalid_input', 'invalid'],
    [409, 'uniqueness_error', 'invalid'],
  ];
  for (const [status, code, want] of cases) {
    const err = mapHetznerError(status, { error: { code, message: 'm' } }, h, 'GET /x');
    assert.equal(err.code, want, code);
    assert.equal(err.providerCode, code);
  }
  assert.equal(mapHetznerError(502, undefined, h, 'GET /x').code, 'transient', 'an HTML 502 from a proxy');
  assert.equal(mapNetworkError(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }), 'GET /x', false).providerCode, 'ECONNRESET');
});

test('RateLimit-Reset (Unix seconds) and Retry-After become retryAfterMs', () => {
  const now = 1_700_000_000_000;
  assert.equal(retryAfterMs(new Headers({ 'ratelimit-reset': String(now / 1000 + 7) }), now), 7000);
  assert.equal(retryAfterMs(new Headers({ 'ratelimit-reset': String(now / 1000 - 7) }), now), 0);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' }), now), 3000);
  assert.equal(retryAfterMs(new Headers(), now), undefined);
});

test('label values Hetzner would reject are rewritten deterministically', () => {
  assert.equal(labelValue('dep-123_abc'), 'dep-123_abc');
  const odd = labelValue('_weird id/with=signs_');
  assert.match(odd, /^[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9]$/);
  assert.equal(labelValue('_weird id/with=signs_'), odd);
  assert.notEqual(labelValue('a b'), labelValue('a/b'));
  assert.ok(labelValue('x'.repeat(100)).length <= 63);
  assert.equal(deploymentSelector('d1'), 'aloft-managed=true,aloft-deployment=d1');
  assert.deepEqual(toLabels({ 'ok-key': 'v', 'bad key': 'v' }), { 'ok-key': 'v' });
  assert.match(resourceName('My App!', 'd1'), /^my-app-[0-9a-f]{8}$/);
});

test('server status → machine state', () => {
  assert.equal(machineState('initializing'), 'pending');
  assert.equal(machineState('running'), 'running');
  assert.equal(machineState('stopping'), 'stopping');
  assert.equal(machineState('off'), 'stopped');
  assert.equal(machineState('deleting'), 'terminated');
  assert.equal(machineState('something-new'), 'unknown');
});
