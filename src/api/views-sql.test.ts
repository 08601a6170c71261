import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../store/db.js';
import { listDeploymentColumns } from '../store/deployments.js';
import type { Deployment } from '../store/types.js';
import { VIEW_COLUMNS, deploymentView } from './views.js';
import { deploymentListJsonSqlite } from './views-sql.js';

// Rows that exercise every rule of deploymentView: nulls, milliseconds 0 and 999, statuses
// with and without a gateway URL, access.gateway false (and the same words inside a string,
// which JSON escapes), fractional, whole and missing prices, odd text, equal created_at.
const T = Date.UTC(2026, 10, 22, 8, 30, 15, 999);
const rows: Array<Partial<Deployment> & Pick<Deployment, 'id' | 'name' | 'status'>> = [
  { id: 'd-a', name: 'web', status: 'ready', created_at: T, ready_at: T + 1, last_activity_at: T + 1001, price_per_hour: 0.0123 },
  { id: 'd-b', name: 'private', status: 'ready', created_at: T, spec_json: JSON.stringify({ kind: 'service', access: { gateway: false } }), price_per_hour: 2 },
  { id: 'd-c', name: 'quoted', status: 'stopped', created_at: T - 999, spec_json: JSON.stringify({ kind: 'service', command: 'echo "gateway":false' }), price_per_hour: null },
  { id: 'd-d', name: 'broke', status: 'failed', created_at: T + 5, status_reason: 'capacity: "none" left\nin eu-west-3 \u2014 ünïcode', endpoint: null, provider: null, region: null, instance_type: null },
  { id: 'd-e', name: 'gone', status: 'destroyed', created_at: 0, expires_at: 86_400_000 * 365 * 30, price_per_hour: 0 },
];

test('the SQLite list is deploymentView of every row, in the same order, with and without destroyed ones', async () => {
  const store = await openStore({ url: ':memory:' });
  try {
    await store.db
      .insertInto('deployments')
      .values(
        rows.map((r) => ({
          kind: 'service', owner: 'me', spec_json: JSON.stringify({ kind: 'service' }), base_dir: null, provider: 'local', region: 'local', instance_type: 'local',
          price_per_hour: 0.5, desired_state: 'running' as const, status_reason: null, endpoint: 'http://127.0.0.1:9', port: 9, upstream_secret: null,
          agent_token_hash: null, generation: 1, created_at: T, updated_at: T + 7, ready_at: null, last_activity_at: null, expires_at: null, destroyed_at: null,
          ...r,
        })),
      )
      .execute();
    for (const includeDestroyed of [false, true]) {
      for (const gatewayUrl of ['http://127.0.0.1:7080/', 'https://gw.example.com', null]) {
        const expected = (await listDeploymentColumns(store.db, VIEW_COLUMNS, { includeDestroyed })).map((d) => deploymentView(d, gatewayUrl));
        const text = await deploymentListJsonSqlite(store.db, { includeDestroyed, gatewayUrl });
        assert.deepEqual(JSON.parse(text), expected, `includeDestroyed=${includeDestroyed} gateway=${gatewayUrl}`);
        assert.deepEqual(Object.keys(JSON.parse(text)[0]), Object.keys(expected[0]!), 'same field order');
      }
    }
    const urls = (JSON.parse(await deploymentListJsonSqlite(store.db, { gatewayUrl: 'http://gw' })) as Array<{ name: string; url: string | null }>).map((v) => [v.name, v.url]);
    assert.deepEqual(urls, [['quoted', 'http://gw/d/quoted/'], ['web', 'http://gw/d/web/'], ['private', null], ['broke', null]]);
    await store.db.deleteFrom('deployments').execute();
    assert.equal(await deploymentListJsonSqlite(store.db, {}), '[]');
  } finally {
    await store.close();
  }
});
