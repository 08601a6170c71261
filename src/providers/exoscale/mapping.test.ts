import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, CapacityError, InvalidRequestError, NotFoundError, QuotaError, ThrottledError, TransientError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { toOfferRef, usableIn } from './catalog.js';
import { mapHttpError, mapNetworkError, mapOperationFailure, parseRetryAfter } from './error-map.js';
import { instanceName, machineState, nameMatchesDeployment, toMachine } from './machine.js';
import type { ExoInstanceType } from './wire.js';

describe('Exoscale error mapping', () => {
  test('HTTP statuses and messages → typed errors', () => {
    assert.ok(mapHttpError(401, { message: 'x' }) instanceof AuthError);
    assert.ok(mapHttpError(403, { message: 'Invalid request signature' }) instanceof AuthError);
    assert.ok(mapHttpError(403, { message: 'Quota exceeded for resource instance' }) instanceof QuotaError);
    const t = mapHttpError(429, { message: 'slow down' }, '3');
    assert.ok(t instanceof ThrottledError && t.retryAfterMs === 3000);
    assert.ok(mapHttpError(404, { message: 'nope' }) instanceof NotFoundError);
    assert.ok(mapHttpError(500, { message: 'Internal server error' }) instanceof TransientError);
    assert.ok(mapHttpError(503, 'upstream down') instanceof TransientError);
    assert.ok(mapHttpError(500, { message: 'Insufficient capacity for gpua5000.small' }) instanceof CapacityError);
    assert.ok(mapHttpError(400, { message: 'no capacity available' }) instanceof CapacityError);
    assert.ok(mapHttpError(400, { message: 'organization limit exceeded' }) instanceof QuotaError);
    assert.ok(mapHttpError(409, { message: 'in use' }) instanceof TransientError);
    assert.ok(mapHttpError(400, { message: 'invalid template' }) instanceof InvalidRequestError);
  });

  test('failed operations → typed errors', () => {
    const op = (reason: string, message: string) => ({ id: 'o', state: 'failure' as const, reason, message });
    assert.ok(mapOperationFailure(op('unavailable', 'no capacity available for x')) instanceof CapacityError);
    assert.ok(mapOperationFailure(op('forbidden', 'quota reached')) instanceof QuotaError);
    assert.ok(mapOperationFailure(op('forbidden', 'not allowed')) instanceof AuthError);
    assert.ok(mapOperationFailure(op('not-found', 'gone')) instanceof NotFoundError);
    assert.ok(mapOperationFailure(op('incorrect', 'bad disk')) instanceof InvalidRequestError);
    assert.ok(mapOperationFailure(op('busy', 'try later')) instanceof TransientError);
    assert.ok(mapOperationFailure({ id: 'o', state: 'timeout' }) instanceof TransientError);
  });

  test('network failures are transient; Retry-After dates are understood', () => {
    const e = mapNetworkError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET', message: 'other side closed' } }), 'GET /x', false);
    assert.ok(e instanceof TransientError && e.providerCode === 'ECONNRESET');
    assert.match(mapNetworkError(new Error('aborted'), 'GET /x', true).message, /timed out/);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter('nonsense'), undefined);
  });
});

describe('Exoscale machines and catalog', () => {
  test('instance states → machine states', () => {
    const want = { starting: 'pending', running: 'running', migrating: 'running', stopping: 'stopping', stopped: 'stopped', destroying: 'terminated', destroyed: 'terminated', expunging: 'terminated', error: 'unknown' };
    for (const [s, m] of Object.entries(want)) assert.equal(machineState(s), m, s);
    assert.equal(machineState('weird'), 'unknown');
  });

  test('instance names are hostnames that carry the deployment id', () => {
    const n = instanceName('My Model!', 'dep_01HX');
    assert.equal(n, 'my-model-dep-01hx');
    assert.ok(nameMatchesDeployment(n, 'dep_01HX'));
    assert.ok(!nameMatchesDeployment(n, 'dep_01HY'));
    assert.ok(instanceName('x'.repeat(100), 'd'.repeat(60)).length <= 63);
  });

  test('toMachine builds the endpoint from the public IP and the port label', () => {
    const m = toMachine(
      { id: 'i1', name: 'n', state: 'running', labels: { 'aloft-port': '8443' }, 'instance-type': { id: 't1' }, 'public-ip': '192.0.2.4', 'created-at': '2026-01-01T00:00:00Z' },
      'ch-gva-2',
      (id) => (id === 't1' ? 'standard.small' : undefined),
    );
    assert.equal(m.endpoint, 'http://192.0.2.4:8443');
    assert.equal(m.instanceType, 'standard.small');
    assert.equal(m.createdAt, Date.parse('2026-01-01T00:00:00Z'));
  });

  test('instance types → offer references: GPU model from the family (named as in the catalog data), usable zones only', () => {
    const types: ExoInstanceType[] = [
      { id: 'a', family: 'gpua5000', size: 'small', cpus: 8, gpus: 1, memory: 56 * 1024 ** 3, authorized: true, zones: ['ch-gva-2'] },
      { id: 'b', family: 'standard', size: 'medium', cpus: 2, memory: 4 * 1024 ** 3, authorized: true },
      { id: 'c', family: 'gpu3', size: 'small', cpus: 12, gpus: 1, memory: 56 * 1024 ** 3, authorized: false },
      { id: 'd', family: 'standard', size: 'huge', cpus: 16, memory: 64 * 1024 ** 3, authorized: true, zones: ['de-fra-1'] },
    ];
    assert.deepEqual(types.filter((t) => usableIn(t, 'ch-gva-2')).map((t) => t.id), ['a', 'b']);
    assert.deepEqual(toOfferRef(types[0]!, 'ch-gva-2'), { provider: 'exoscale', region: 'ch-gva-2', instanceType: 'gpua5000.small', gpu: { name: 'RTXA5000', count: 1, vramGb: 24 } });
    assert.deepEqual(toOfferRef(types[1]!, 'ch-gva-2'), { provider: 'exoscale', region: 'ch-gva-2', instanceType: 'standard.medium', gpu: null });
    // The catalog data names the same GPU the same way.
    const data = JSON.parse(readFileSync(new URL('../../../data/catalog/exoscale.json', import.meta.url), 'utf8')) as { instance_types: Array<{ name: string; gpu: { name: string } | null }> };
    assert.equal(data.instance_types.find((t) => t.name === 'gpua5000.small')?.gpu?.name, 'RTXA5000');
  });
});
