import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { fitForProvider, PROVIDER_LIMITS, UserDataTooLargeError } from './limits.js';

const compressible = (n: number) => '#cloud-config\n' + 'runcmd: [echo hello]\n'.repeat(Math.ceil(n / 21));
const incompressible = (n: number) => '#cloud-config\n# ' + randomBytes(n).toString('base64');

test('small documents go plain everywhere', () => {
  for (const p of Object.keys(PROVIDER_LIMITS)) {
    const f = fitForProvider(p, compressible(1000));
    assert.equal(f.encoding, 'plain');
    assert.ok(f.bytes <= f.limit);
  }
});

test('aws gzips a 20 KB document and the bytes round-trip', () => {
  const doc = compressible(20_000);
  const f = fitForProvider('aws', doc);
  assert.equal(f.encoding, 'gzip');
  assert.ok(f.bytes <= 16 * 1024);
  assert.equal(gunzipSync(f.body as Buffer).toString('utf8'), doc);
  assert.equal(gunzipSync(Buffer.from(f.apiValue, 'base64')).toString('utf8'), doc);
});

test('the API value is base64 for aws, exoscale and oci, the text itself for hetzner and gcp', () => {
  const doc = compressible(500);
  for (const p of ['aws', 'exoscale', 'oci']) assert.equal(Buffer.from(fitForProvider(p, doc).apiValue, 'base64').toString('utf8'), doc);
  for (const p of ['hetzner', 'gcp']) assert.equal(fitForProvider(p, doc).apiValue, doc);
  // Exoscale's maxLength applies to exactly this value.
  const big = fitForProvider('exoscale', compressible(30_000));
  assert.ok(big.apiValue.length <= 32768);
});

test('hetzner takes no gzip: a 40 KB document fails with a clear message', () => {
  assert.throws(() => fitForProvider('hetzner', compressible(40_000)), (e: unknown) => {
    assert.ok(e instanceof UserDataTooLargeError);
    assert.match(e.message, /hetzner.*over its limit of 32768 bytes.*takes no gzip/);
    return true;
  });
  assert.equal(fitForProvider('gcp', compressible(40_000)).encoding, 'plain');
});

test('exoscale measures the base64 form: 25 KB raw is over 32 KB once encoded', () => {
  const doc = incompressible(25_000);
  assert.throws(() => fitForProvider('exoscale', doc), UserDataTooLargeError);
  const f = fitForProvider('exoscale', compressible(25_000));
  assert.equal(f.encoding, 'gzip');
});

test('unknown providers are an error, not a guess', () => {
  assert.throws(() => fitForProvider('nimbus', 'x'), /no user-data limit is known for provider "nimbus"/);
});
