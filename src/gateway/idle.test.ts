import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findIdle } from './idle.js';

test('findIdle: ready, past the timeout since the later of last activity and ready, not active', () => {
  const now = 100_000;
  const base = { status: 'ready', idleTimeoutMs: 10_000, lastActivityAt: null, readyAt: 50_000 };
  const ids = findIdle(
    [
      { ...base, id: 'idle-since-ready' },
      { ...base, id: 'recent-activity', lastActivityAt: 95_000 },
      { ...base, id: 'old-activity', lastActivityAt: 60_000 },
      { ...base, id: 'fresh', readyAt: 99_000 },
      { ...base, id: 'no-timeout', idleTimeoutMs: null },
      { ...base, id: 'stopped', status: 'stopped' },
      { ...base, id: 'streaming' },
      { ...base, id: 'exactly', readyAt: 90_000 },
    ],
    now,
    new Set(['streaming']),
  );
  assert.deepEqual(ids, ['idle-since-ready', 'old-activity', 'exactly']);
});
