import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateAgentToken, hashAgentToken, looksLikeAgentToken, verifyAgentToken } from './agent-token.js';

test('tokens are random, well-formed, and verify only against their own hash', () => {
  const a = generateAgentToken();
  const b = generateAgentToken();
  assert.notEqual(a, b);
  assert.ok(looksLikeAgentToken(a));
  assert.ok(!looksLikeAgentToken('aloft_agent_short'));
  const h = hashAgentToken(a);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.ok(!h.includes(a));
  assert.equal(verifyAgentToken(a, h), true);
  assert.equal(verifyAgentToken(b, h), false);
  assert.equal(verifyAgentToken(a + 'x', h), false);
  assert.equal(verifyAgentToken(a, 'abcd'), false);
  assert.equal(verifyAgentToken(a, 'not hex at all'), false);
  assert.equal(verifyAgentToken('', h), false);
});
