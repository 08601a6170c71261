import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secretBoxFromKey } from './secret-box.js';

test('sealed secrets open with the same key only', () => {
  const a = secretBoxFromKey(Buffer.alloc(32, 1));
  const sealed = a.seal('token-123');
  assert.ok(!sealed.includes('token-123'));
  assert.equal(a.open(sealed), 'token-123');
  assert.throws(() => secretBoxFromKey(Buffer.alloc(32, 2)).open(sealed));
  assert.throws(() => secretBoxFromKey(Buffer.alloc(16)), /32 bytes/);
});

test('derive: one stable id per key and label (replicas sharing the key agree)', () => {
  const a = secretBoxFromKey(Buffer.alloc(32, 1));
  assert.match(a.derive('installation'), /^[0-9a-f]{16}$/);
  assert.equal(a.derive('installation'), secretBoxFromKey(Buffer.alloc(32, 1)).derive('installation'));
  assert.notEqual(a.derive('installation'), secretBoxFromKey(Buffer.alloc(32, 2)).derive('installation'));
  assert.notEqual(a.derive('installation'), a.derive('other'));
});
