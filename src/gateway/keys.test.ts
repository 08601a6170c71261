import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKey, createKeyVerifier, extractKey, generateKey, hashKey, keyAllows, newKeyRecord, normalizePrefix, prefixOf, verifyKey } from './keys.js';
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

test('the key verifier remembers a matched key, and only that exact key', async (t) => {
  const g = generateKey();
  const verify = createKeyVerifier({ ttlMs: 1000 });
  assert.equal(verify(g.key, { hash: g.hash }), true);
  // The second check is answered from memory (constant-time comparison with the remembered key).
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const remembered = verify(g.key, { hash: g.hash });
  assert.equal(remembered, true);
  // Anything else under the same hash is refused: one character off, a look-alike outside latin1, another length.
  const last = g.key.at(-1) === 'A' ? 'B' : 'A';
  for (const other of [g.key.slice(0, -1) + last, g.key.slice(0, -1) + String.fromCharCode(0x100 + g.key.charCodeAt(g.key.length - 1)), g.key + 'x', '']) {
    assert.equal(verify(other, { hash: g.hash }), false, JSON.stringify(other));
  }
  // Past the TTL it hashes again (still true for the right key, still false for others).
  t.mock.timers.tick(1001);
  assert.equal(verify(g.key, { hash: g.hash }), true);
  assert.equal(verify(g.key, { hash: generateKey().hash }), false, 'another row: another hash');
});

test('checkKey uses the verifier it is given', async () => {
  const g = generateKey();
  const row: StoredKey = { id: 'k', prefix: g.prefix, hash: g.hash, deploymentId: null, expiresAt: null, revokedAt: null };
  const seen: string[] = [];
  const r = await checkKey(g.key, async () => row, Date.now(), (p, s) => (seen.push(s.hash), verifyKey(p, s)));
  assert.equal(r.ok, true);
  assert.deepEqual(seen, [g.hash]);
  // A revoked row is refused even when the key matches (the memo says nothing about revocation).
  const revoked = await checkKey(g.key, async () => ({ ...row, revokedAt: Date.now() - 1 }), Date.now(), createKeyVerifier());
  assert.equal(revoked.ok, false);
});
