import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newKeyRecord } from '../gateway/keys.js';
import { insertKey, revokeKey } from '../store/keys.js';
import { openStore } from '../store/db.js';
import { createStoreGatewayBackend } from './gateway-backend.js';

async function setup() {
  const store = await openStore({ url: ':memory:' });
  let clock = 1_000_000;
  const backend = createStoreGatewayBackend({
    db: store.db,
    engine: { requestStart: async () => {} } as never,
    secrets: { open: (s: string) => s, seal: (s: string) => s } as never,
    cacheMs: 500,
    now: () => clock,
  });
  const { row } = newKeyRecord({}, clock);
  await insertKey(store.db, { id: row.id, prefix: row.prefix, hash: row.hash, name: null, deployment_id: null, created_at: clock, expires_at: null, revoked_at: null, last_used_at: null });
  return { store, backend, row, advance: (ms: number) => (clock += ms), now: () => clock };
}

test('a key row is read once per cache period, not on every request', async (t) => {
  const { store, backend, row, advance, now } = await setup();
  t.after(() => store.close());
  const first = await backend.keys.findByPrefix(row.prefix);
  assert.equal(first?.id, row.id);
  // Revoked behind the backend's back (another process sharing the store): seen once the period ends.
  await revokeKey(store.db, row.prefix, now());
  assert.equal((await backend.keys.findByPrefix(row.prefix))?.revokedAt, null);
  advance(501);
  assert.equal((await backend.keys.findByPrefix(row.prefix))?.revokedAt, now() - 501);
});

test('forgetKey makes a revocation (or a new key) count at once', async (t) => {
  const { store, backend, row, now } = await setup();
  t.after(() => store.close());
  assert.equal((await backend.keys.findByPrefix(row.prefix))?.revokedAt, null);
  await revokeKey(store.db, row.prefix, now());
  backend.forgetKey(row.prefix);
  assert.equal((await backend.keys.findByPrefix(row.prefix))?.revokedAt, now());

  // A miss is cached too (a flood of made-up keys does not reach the store each time)…
  const fresh = newKeyRecord({}, now()).row;
  assert.equal(await backend.keys.findByPrefix(fresh.prefix), null);
  await insertKey(store.db, { id: fresh.id, prefix: fresh.prefix, hash: fresh.hash, name: null, deployment_id: null, created_at: now(), expires_at: null, revoked_at: null, last_used_at: null });
  assert.equal(await backend.keys.findByPrefix(fresh.prefix), null);
  // …and a key created through the API is usable at once.
  backend.forgetKey(fresh.prefix);
  assert.equal((await backend.keys.findByPrefix(fresh.prefix))?.id, fresh.id);
});
