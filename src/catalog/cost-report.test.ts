import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costReport, parseSince, type CostDeployment } from './cost-report.js';

const H = 3_600_000;
const deps: CostDeployment[] = [
  { id: 'd1', name: 'llm', owner: 'alice', provider: 'aws', hourlyUsd: 1, diskGb: 0, diskUsdPerGbMonth: 0.08 },
  { id: 'd2', name: 'box', owner: 'bob', provider: 'aws', hourlyUsd: 0.5, diskGb: 73, diskUsdPerGbMonth: 1 },
  { id: 'd3', owner: 'alice', provider: 'hetzner', hourlyUsd: 0.01, diskGb: 0, diskUsdPerGbMonth: 0 },
];
const events = {
  d1: [{ at: 0, toStatus: 'ready' }, { at: 10 * H, toStatus: 'stopped' }],
  d2: [{ at: 5 * H, toStatus: 'ready' }, { at: 7 * H, toStatus: 'stopped' }],
  d3: [{ at: 0, toStatus: 'ready' }],
};

test('by deployment, provider and user; sorted by cost', () => {
  const now = 20 * H;
  const d = costReport(deps, events, { since: 0, by: 'deployment', now });
  assert.deepEqual(d.rows.map((r) => r.key), ['llm (d1)', 'box (d2)', 'd3']);
  assert.equal(d.rows[0]!.computeUsd, 10);
  assert.equal(d.rows[1]!.computeUsd, 1);
  assert.equal(d.rows[1]!.diskUsd, 1.5); // 15 h of $0.10/h disk, running and stopped
  assert.equal(d.total.totalUsd, 10 + 2.5 + 0.2);
  const p = costReport(deps, new Map(Object.entries(events)), { since: 0, by: 'provider', now });
  assert.deepEqual(p.rows.map((r) => [r.key, r.deployments]), [['aws', 2], ['hetzner', 1]]);
  const u = costReport(deps, events, { since: 0, by: 'user', now });
  assert.deepEqual(u.rows.map((r) => r.key), ['alice', 'bob']);
  assert.equal(u.rows[0]!.totalUsd, 10.2);
});

test('since limits the window', () => {
  const r = costReport(deps, events, { since: 15 * H, by: 'provider', now: 20 * H });
  assert.equal(r.total.runningHours, 5);
  assert.equal(r.rows.find((x) => x.key === 'aws')!.computeUsd, 0);
});

test('parseSince', () => {
  assert.equal(parseSince('30d'), 30 * 24 * H);
  assert.equal(parseSince('12h'), 12 * H);
  assert.equal(parseSince('2w'), 14 * 24 * H);
  assert.throws(() => parseSince('soon'), /since "soon"/);
});
