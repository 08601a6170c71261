import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryBackend } from './memory-backend.js';
import { createWakeCoordinator } from './wake.js';

test('50 concurrent waiters share one requestWake and all get the ready target', async () => {
  const b = createMemoryBackend();
  const t = b.put({ name: 'llm', status: 'stopped', wakeTimeoutMs: 10_000 });
  b.onWake = (id) => {
    assert.equal(id, t.deploymentId);
    b.update('llm', { status: 'starting' });
    setTimeout(() => b.update('llm', { status: 'ready', upstreamUrl: 'http://127.0.0.1:9' }), 100);
  };
  let wakes = 0;
  const w = createWakeCoordinator({ backend: b, pollMs: 10, onWake: () => wakes++ });
  const results = await Promise.all(Array.from({ length: 50 }, () => w.wait({ ...t })));
  assert.equal(b.wakeRequests.length, 1);
  assert.equal(wakes, 1);
  for (const r of results) {
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.target.upstreamUrl, 'http://127.0.0.1:9');
  }
  assert.equal(w.inFlight(), 0);
});

test('a deployment already coming up is waited for, not started again', async () => {
  const b = createMemoryBackend();
  const t = b.put({ name: 'svc', status: 'booting', wakeTimeoutMs: 5000 });
  setTimeout(() => b.update('svc', { status: 'ready', upstreamUrl: 'http://127.0.0.1:9' }), 50);
  const r = await createWakeCoordinator({ backend: b, pollMs: 10 }).wait(t);
  assert.equal(r.ok, true);
  assert.equal(b.wakeRequests.length, 0);
});

test('timeout, failure, disappearance and abort', async () => {
  const b = createMemoryBackend();
  const w = createWakeCoordinator({ backend: b, pollMs: 10, maxPollMs: 20 });

  const slow = b.put({ name: 'slow', status: 'stopped', wakeTimeoutMs: 100 });
  const r1 = await w.wait(slow);
  assert.deepEqual(r1.ok ? null : r1.reason, 'timeout');

  const bad = b.put({ name: 'bad', status: 'stopped', wakeTimeoutMs: 5000 });
  b.onWake = () => b.update('bad', { status: 'failed' });
  const r2 = await w.wait(bad);
  assert.equal(r2.ok ? null : r2.reason, 'failed');

  const gone = b.put({ name: 'gone', status: 'stopped', wakeTimeoutMs: 5000 });
  b.onWake = () => void b.deployments.delete('gone');
  const r3 = await w.wait(gone);
  assert.equal(r3.ok ? null : r3.reason, 'gone');

  const refused = b.put({ name: 'refused', status: 'stopped', wakeTimeoutMs: 5000 });
  b.onWake = () => {
    throw new Error('engine down');
  };
  const r4 = await w.wait(refused);
  assert.equal(r4.ok ? null : r4.reason, 'failed');

  b.onWake = null;
  const held = b.put({ name: 'held', status: 'stopped', wakeTimeoutMs: 5000 });
  const ac = new AbortController();
  const p = w.wait(held, ac.signal);
  setTimeout(() => ac.abort(), 30);
  const r5 = await p;
  assert.equal(r5.ok ? null : r5.reason, 'aborted');
});
