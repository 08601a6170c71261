import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { userDataField } from './user-data.js';
import { InvalidRequestError } from './errors.js';

const doc = (bytes: number) => '#cloud-config\n# ' + 'x'.repeat(bytes - 17) + '\n';
// Incompressible filler: base64 of random bytes.
const noisy = (bytes: number) => '#cloud-config\n# ' + randomBytes(bytes).toString('base64').slice(0, bytes - 17) + '\n';

test('text for Hetzner, base64 for EC2 and Exoscale: encoded once', () => {
  const ud = doc(1000);
  assert.equal(userDataField('hetzner', ud), ud);
  assert.equal(Buffer.from(userDataField('aws', ud), 'base64').toString('utf8'), ud);
  assert.equal(Buffer.from(userDataField('exoscale', ud), 'base64').toString('utf8'), ud);
});

test('over EC2\'s 16 KB raw limit the document goes gzip-compressed; Hetzner takes no gzip', () => {
  const ud = doc(20_000);
  assert.equal(gunzipSync(Buffer.from(userDataField('aws', ud), 'base64')).toString('utf8'), ud);
  assert.equal(userDataField('hetzner', ud), ud);
  assert.throws(() => userDataField('hetzner', doc(40_000)), (e) => e instanceof InvalidRequestError && /hetzner: user-data for hetzner is 40000 bytes/.test(e.message));
  assert.throws(() => userDataField('aws', noisy(40_000)), (e) => e instanceof InvalidRequestError && !e.retryable);
});
