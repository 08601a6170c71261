import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRateLimiter } from './rate-limit.js';

test('token bucket: burst, then refill at the rate, Retry-After in seconds', () => {
  const rl = createRateLimiter({ perSecond: 2, burst: 3 });
  const t = 1_000_000;
  assert.equal(rl.take('k', t), 0);
  assert.equal(rl.take('k', t), 0);
  assert.equal(rl.take('k', t), 0);
  assert.equal(rl.take('k', t), 1);
  assert.equal(rl.take('other', t), 0, 'buckets are per key');
  assert.equal(rl.take('k', t + 499), 1);
  assert.equal(rl.take('k', t + 500), 0, 'one token back after 1/rate s');
  assert.equal(rl.take('k', t + 500), 1);
  assert.throws(() => createRateLimiter({ perSecond: 0, burst: 1 }));
});

test('slow rates give a longer Retry-After; full buckets are swept', () => {
  const rl = createRateLimiter({ perSecond: 0.1, burst: 1 });
  assert.equal(rl.take('k', 0 + 1), 0);
  assert.equal(rl.take('k', 2), 10);
  rl.take('j', 3);
  assert.equal(rl.size(), 2);
  rl.take('z', 120_000);
  assert.equal(rl.size(), 1);
});
