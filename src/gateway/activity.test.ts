import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActivityTracker } from './activity.js';

test('touches are batched; open streams count as activity until they end', async () => {
  const batches: Array<Map<string, number>> = [];
  const keyTouches: Array<[string, number]> = [];
  const a = createActivityTracker({
    flushMs: 60_000,
    record: async (b) => void batches.push(b),
    touchKey: async (id, at) => void keyTouches.push([id, at]),
  });
  a.touch('d1', 1000);
  a.touch('d1', 2000);
  a.touch('d2', 1500);
  a.keyUsed('k1', 2000);
  assert.equal(batches.length, 0, 'nothing written per request');
  assert.equal(a.isActive('d1'), true);
  await a.flush();
  assert.equal(batches.length, 1);
  assert.deepEqual([...batches[0]!], [['d1', 2000], ['d2', 1500]]);
  assert.deepEqual(keyTouches, [['k1', 2000]]);
  assert.equal(a.isActive('d1'), false, 'flushed and no stream open');

  const end = a.open('d3');
  assert.equal(a.isActive('d3'), true);
  assert.equal(a.openStreams('d3'), 1);
  const before = Date.now();
  await a.flush();
  assert.ok(batches[1]!.get('d3')! >= before, 'an open stream is reported as active now');
  await a.flush();
  assert.ok(batches[2]!.has('d3'), 'and again on every flush while it stays open');
  end();
  end();
  assert.equal(a.openStreams('d3'), 0, 'ending twice counts once');
  assert.equal(a.isActive('d3'), true, 'the end is activity not yet flushed');
  await a.close();
  assert.ok(batches[3]!.has('d3'));
  assert.equal(a.isActive('d3'), false);
  assert.deepEqual(a.activeIds(), new Set());
});

test('a failed write keeps the activity for the next flush', async () => {
  let fail = true;
  const seen: Array<Map<string, number>> = [];
  const errors: unknown[] = [];
  const a = createActivityTracker({
    flushMs: 60_000,
    record: async (b) => {
      if (fail) throw new Error('db down');
      seen.push(b);
    },
    onError: (e) => errors.push(e),
  });
  a.touch('d1', 42);
  await a.flush();
  assert.equal(errors.length, 1);
  fail = false;
  await a.close();
  assert.deepEqual([...seen[0]!], [['d1', 42]]);
});

test('flushes on its own timer', async () => {
  const batches: Array<Map<string, number>> = [];
  const a = createActivityTracker({ flushMs: 20, record: async (b) => void batches.push(b) });
  a.touch('d1');
  const deadline = Date.now() + 5000;
  while (batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await a.close();
  assert.ok(batches[0]!.has('d1'));
});
