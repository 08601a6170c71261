import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKey, extractKey, generateKey, hashKey, keyAllows, newKeyRecord, normalizePrefix, prefixOf, verifyKey } from './keys.js';
import type { StoredKey } from './types.js';

test('generateKey: aloft_ + 256 random bits, a prefix and a sha256 hash', () => {
  const a = generateKey();
  const b = generateKey();
  assert.match(a.key, /^aloft_[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(a.key.slice(6), 'base64url').length, 32);
  assert.notEqual(a.key, b.key);
  assert.equal(a.prefix, a.key.slice(6, 18));
  assert.equal(a.hash, hashKey(a.key));
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  assert.ok(!a.hash.includes(a.key.slice(6)));
});

test('verifyKey accepts the key and rejects anything else', () => {
  const g = generateKey();
  assert.equal(verifyKey(g.key, { hash: g.hash }), true);
  assert.equal(verifyKey(g.key + 'x', { hash: g.hash }), false);
  assert.equal(verifyKey(generateKey().key, { hash: g.hash }), false);
  assert.equal(verifyKey(g.key, { hash: 'abc' }), false);
});

test('prefixOf and normalizePrefix', () => {
  const g = generateKey();
  assert.equal(prefixOf(g.key), g.prefix);
  assert.equal(prefixOf('aloft_short'), null);
  assert.equal(prefixOf('sk-' + g.key.slice(3)), null);
  assert.equal(normalizePrefix('aloft_' + g.prefix), g.prefix);
  assert.equal(normalizePrefix(g.prefix), g.prefix);
  assert.equal(normalizePrefix(g.key), g.prefix);
});

test('extractKey reads Bearer, X-Aloft-Key and X-Ollama-Key', () => {
  assert.equal(extractKey({ authorization: 'Bearer aloft_x' }), 'aloft_x');
  assert.equal(extractKey({ authorization: 'bearer   aloft_y ' }), 'aloft_y');
  assert.equal(extractKey({ 'x-aloft-key': 'aloft_z' }), 'aloft_z');
  assert.equal(extractKey({ 'x-ollama-key': 'aloft_w' }), 'aloft_w');
  assert.equal(extractKey({ authorization: 'Basic dTpw' }), null);
  assert.equal(extractKey({}), null);
});

test('checkKey: missing, invalid, revoked, expired, valid', async () => {
  const now = 1_000_000;
  const rows = new Map<string, StoredKey>();
  const add = (patch: Partial<StoredKey>) => {
    const r = newKeyRecord({}, now);
    rows.set(r.row.prefix, { ...r.row, ...patch });
    return r.key;
  };
  const find = async (p: string) => rows.get(p) ?? null;
  const good = add({});
  const revoked = add({ revokedAt: now - 1 });
  const expired = add({ expiresAt: now });
  const later = add({ expiresAt: now + 1 });
  assert.deepEqual((await checkKey(null, find, now)) as unknown, { ok: false, status: 401, code: 'missing_key', message: 'An API key is required' });
  assert.equal((await checkKey(good, find, now)).ok, true);
  assert.equal((await checkKey(later, find, now)).ok, true);
  const wrong = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
  const r1 = await checkKey(wrong, find, now);
  assert.equal(!r1.ok && r1.code, 'invalid_key');
  const r2 = await checkKey(revoked, find, now);
  assert.equal(!r2.ok && r2.code, 'revoked_key');
  const r3 = await checkKey(expired, find, now);
  assert.equal(!r3.ok && r3.code, 'expired_key');
  const r4 = await checkKey('not-a-key', find, now);
  assert.equal(!r4.ok && r4.code, 'invalid_key');
});

test('keyAllows: null scope opens all, otherwise only its deployment', () => {
  const k = newKeyRecord({ deploymentId: 'd1' }).row;
  assert.equal(keyAllows(k, 'd1'), true);
  assert.equal(keyAllows(k, 'd2'), false);
  assert.equal(keyAllows({ ...k, deploymentId: null }, 'd2'), true);
});
