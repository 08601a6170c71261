import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStores } from '../store/test-stores.js';
import { claim, complete, enqueue, fail, getJob, heartbeat } from './queue.js';
import { backoffDelay } from './backoff.js';
import { startWorker, PermanentJobError } from './worker.js';

test('backoff grows exponentially, is capped, and jitters', () => {
  assert.equal(backoffDelay(1, { baseMs: 1000, random: () => 1 }), 1000);
  assert.equal(backoffDelay(3, { baseMs: 1000, random: () => 1 }), 4000);
  assert.equal(backoffDelay(20, { baseMs: 1000, capMs: 60_000, random: () => 1 }), 60_000);
  assert.equal(backoffDelay(3, { baseMs: 1000, random: () => 0, floorMs: 100 }), 100);
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(5)));
  assert.ok(spread.size > 10, 'jitter spreads delays');
});

for (const factory of testStores()) {
  describe(`queue on ${factory.name}`, () => {
    test('claims with a lease, one worker at a time, and re-claims after the lease expires', async (t) => {
      const s = await factory.open();
      t.after(() => s.close());
      const id = await enqueue(s.db, { kind: 'provision', deploymentId: 'd1', payload: { a: 1 } }, 1000);
      const a = await claim(s.db, s.dialect, 'w1', 5000, 1000);
      assert.equal(a?.id, id);
      assert.deepEqual(a?.payload, { a: 1 });
      assert.equal(a?.attempts, 1);
      assert.equal(await claim(s.db, s.dialect, 'w2', 5000, 2000), null, 'leased job is not claimed twice');
      assert.equal(await heartbeat(s.db, a!, 'w1', 5000, 3000), true);
      assert.equal(await claim(s.db, s.dialect, 'w2', 5000, 7000), null, 'heartbeat extended the lease');
      const b = await claim(s.db, s.dialect, 'w2', 5000, 8001);
      assert.equal(b?.id, id, 'expired lease is re-claimed');
      assert.equal(b?.attempts, 2);
      assert.equal(await heartbeat(s.db, a!, 'w1', 5000, 8002), false, 'the first worker lost its lease');
      await complete(s.db, b!);
      assert.equal((await getJob(s.db, id))?.status, 'done');
    });

    test('jobs of one deployment run in order, others in parallel', async (t) => {
      const s = await factory.open();
      t.after(() => s.close());
      const j1 = await enqueue(s.db, { kind: 'provision', deploymentId: 'd1' }, 1000);
      const j2 = await enqueue(s.db, { kind: 'stop', deploymentId: 'd1' }, 1000);
      const j3 = await enqueue(s.db, { kind: 'provision', deploymentId: 'd2' }, 1000);
      const first = await claim(s.db, s.dialect, 'w', 10_000, 1000);
      const second = await claim(s.db, s.dialect, 'w', 10_000, 1000);
      assert.deepEqual([first?.id, second?.id], [j1, j3]);
      assert.equal(await claim(s.db, s.dialect, 'w', 10_000, 1000), null, 'stop waits for provision of d1');
      await complete(s.db, first!);
      assert.equal((await claim(s.db, s.dialect, 'w', 10_000, 1000))?.id, j2);
    });

    test('failures back off, honour Retry-After, and die after max attempts', async (t) => {
      const s = await factory.open();
      t.after(() => s.close());
      const id = await enqueue(s.db, { kind: 'x', maxAttempts: 2 }, 0);
      const a = await claim(s.db, s.dialect, 'w', 1000, 0);
      assert.equal(await fail(s.db, a!, 'boom', { retryAfterMs: 30_000 }, 0), 'retry');
      const row = await getJob(s.db, id);
      assert.equal(row?.status, 'pending');
      assert.ok(row!.run_at >= 30_000, 'retry-after respected');
      assert.equal(await claim(s.db, s.dialect, 'w', 1000, 10_000), null);
      const b = await claim(s.db, s.dialect, 'w', 1000, 30_000);
      assert.equal(await fail(s.db, b!, 'boom again', {}, 30_000), 'dead');
      assert.equal((await getJob(s.db, id))?.last_error, 'boom again');
      const p = await enqueue(s.db, { kind: 'y' }, 0);
      const c = await claim(s.db, s.dialect, 'w', 1000, 0);
      assert.equal(await fail(s.db, c!, 'bad input', { retryable: false }, 0), 'dead');
      assert.equal((await getJob(s.db, p))?.status, 'dead');
    });

    test('concurrent claimers never take the same job', async (t) => {
      const s = await factory.open();
      t.after(() => s.close());
      for (let i = 0; i < 20; i++) await enqueue(s.db, { kind: 'x', deploymentId: `d${i}` }, 0);
      const claimed = await Promise.all(Array.from({ length: 30 }, (_, i) => claim(s.db, s.dialect, `w${i}`, 60_000, 1)));
      const ids = claimed.filter((j) => j).map((j) => j!.id);
      assert.equal(ids.length, 20);
      assert.equal(new Set(ids).size, 20);
    });

    test('the worker runs handlers, retries failures and stops permanent ones', async (t) => {
      const s = await factory.open();
      t.after(() => s.close());
      const seen: string[] = [];
      let flaky = 0;
      const okId = await enqueue(s.db, { kind: 'ok', deploymentId: 'a' });
      const flakyId = await enqueue(s.db, { kind: 'flaky', deploymentId: 'b', maxAttempts: 3 });
      const badId = await enqueue(s.db, { kind: 'bad', deploymentId: 'c' });
      const w = startWorker({
        db: s.db,
        dialect: s.dialect,
        workerId: 'w',
        pollMs: 20,
        handlers: {
          ok: async () => void seen.push('ok'),
          flaky: async () => {
            if (++flaky < 2) throw Object.assign(new Error('transient'), { retryAfterMs: 10 });
            seen.push('flaky');
          },
          bad: async () => {
            throw new PermanentJobError('never');
          },
        },
      });
      t.after(() => w.stop());
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const rows = await Promise.all([okId, flakyId, badId].map((id) => getJob(s.db, id)));
        if (rows.every((r) => r?.status === 'done' || r?.status === 'dead')) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await getJob(s.db, okId))?.status, 'done');
      assert.equal((await getJob(s.db, flakyId))?.status, 'done');
      assert.equal((await getJob(s.db, flakyId))?.attempts, 2);
      assert.equal((await getJob(s.db, badId))?.status, 'dead');
      assert.deepEqual(seen.sort(), ['flaky', 'ok']);
    });
  });
}
