import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashToken, tokenMatches } from './tokens.js';

test('a token matches its own SHA-256 hash only', () => {
  const h = hashToken('aloft_secret');
  assert.equal(h, createHash('sha256').update('aloft_secret').digest('hex'));
  assert.ok(tokenMatches('aloft_secret', h));
  assert.ok(!tokenMatches('aloft_secreT', h));
  assert.ok(!tokenMatches('', h));
});

test('no stored hash, or a malformed one, opens nothing', () => {
  for (const stored of [null, undefined, '', 'zz', hashToken('x').slice(0, 40)]) assert.equal(tokenMatches('x', stored), false, String(stored));
  assert.equal(tokenMatches(undefined as unknown as string, hashToken('x')), false);
});
