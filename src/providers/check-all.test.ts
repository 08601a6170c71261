import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkProviders, maskSecrets } from './check-all.js';
import type { Provider } from './types.js';

const fake = (name: string, check: Provider['check']): Provider =>
  ({ name, check, create: async () => assert.fail(), describe: async () => assert.fail(), list: async () => [], destroy: async () => {} }) as Provider;

test('configured providers are checked; unconfigured clouds say what to set', async () => {
  const providers = new Map<string, Provider>([['local', fake('local', async () => ({ ok: true, message: 'fine', quota: { cpus: 2 } }))]]);
  const rows = await checkProviders({ providers });
  assert.deepEqual(rows.map((r) => [r.provider, r.configured, r.ok]), [['local', true, true], ['aws', false, false], ['hetzner', false, false], ['exoscale', false, false]]);
  assert.equal(rows.find((r) => r.provider === 'hetzner')!.message, 'not configured: set HCLOUD_TOKEN');
  assert.deepEqual(rows[0]!.quota, { cpus: 2 });
});

test('a check that hangs times out; one that throws is a failed row; secrets are masked', async () => {
  const secret = 'tok-0123456789';
  const providers = new Map<string, Provider>([
    ['hetzner', fake('hetzner', () => new Promise(() => {}))],
    ['exoscale', fake('exoscale', async () => { throw new Error(`bad key ${secret}`); })],
    ['aws', fake('aws', async () => ({ ok: false, message: `rejected ${secret}\nsecond line`, quota: { note: secret } }))],
  ]);
  const rows = await checkProviders({ providers, checkTimeoutMs: 100, secretValues: [secret] }, undefined);
  const by = Object.fromEntries(rows.map((r) => [r.provider, r]));
  assert.match(by.hetzner!.message, /no answer within/);
  assert.equal(by.exoscale!.message, 'check failed: bad key ***');
  assert.equal(by.aws!.message, 'rejected ***');
  assert.deepEqual(by.aws!.quota, { note: '***' });
  assert.ok(!JSON.stringify(rows).includes(secret));
  assert.equal(maskSecrets('abc', ['abc']), 'abc', 'values under 6 characters are not treated as secrets');
});
