/**
 * The engine against the real local provider, on SQLite and PostgreSQL: a deployment goes
 * ready through the worker; a process that dies is restarted by the reconciler; a tagged
 * process no deployment owns is reported as an orphan and destroyed; idle and ttl act.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { testStores } from '../store/test-stores.js';
import { createLocalProvider, findFreePort } from '../providers/local/index.js';
import { startWorker } from '../queue/worker.js';
import { secretBoxFromKey } from '../lib/secret-box.js';
import { listEvents } from '../store/events.js';
import { updateDeployment } from '../store/deployments.js';
import type { Spec } from '../spec/schema.js';
import type { EngineContext } from './context.js';
import { createEngine } from './engine.js';
import { createReconciler } from './reconciler.js';
import { monitorOnce } from './monitors.js';

const HELLO = resolve(import.meta.dirname, '../../examples/hello');
const spec = (name: string, lifecycle?: Spec['lifecycle']): Spec => ({ kind: 'service', name, command: 'node server.js', workdir: HELLO, health: '/healthz', placement: { providers: ['local'] }, ...(lifecycle ? { lifecycle } : {}) });

async function until<T>(fn: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const factory of testStores()) {
  describe(`engine with the local provider on ${factory.name}`, () => {
    test('ready, restart after a crash of the workload, orphans, idle and ttl', async (t) => {
      const store = await factory.open();
      const home = mkdtempSync(join(tmpdir(), 'aloft-engine-'));
      const local = createLocalProvider({ home, graceMs: 2000 });
      const ctx: EngineContext = {
        store,
        providers: new Map([['local', local]]),
        plan: async () => [{ provider: 'local', region: 'local', instanceType: 'local', gpu: null, vcpus: 1, memoryGb: 1, arch: 'x86_64', pricePerHour: 0, spot: false, hourlyUsd: 0, monthlyUsd: 0 }],
        secrets: secretBoxFromKey(Buffer.alloc(32, 7)),
        log: pino({ level: 'silent' }),
        now: Date.now,
        readyTimeoutMs: 30_000,
        pollMs: 100,
        orphanGraceMs: 0,
        orphanScanMs: 0,
        installationId: 'inst-a',
      };
      const engine = createEngine(ctx);
      const worker = startWorker({ db: store.db, dialect: store.dialect, workerId: 'w', handlers: engine.handlers, pollMs: 50 });
      ctx.nudge = () => worker.nudge();
      t.after(async () => {
        await worker.stop();
        for (const m of await local.list()) await local.destroy(m).catch(() => {});
        await store.close();
        rmSync(home, { recursive: true, force: true });
      });
      const reconciler = createReconciler(ctx);

      const dep = await engine.submit({ spec: spec('web'), baseDir: null, owner: 'me' });
      await until(async () => (await engine.get('web')).status === 'ready');
      const [m1] = await local.list({ deploymentId: dep.id });
      assert.ok(m1);
      assert.equal(m1.tags['aloft-installation'], 'inst-a', 'machines carry their installation');

      // The workload dies: the reconciler restarts it.
      process.kill(-(m1.details as { pid: number }).pid, 'SIGKILL');
      await until(async () => (await local.describe(m1)).state === 'stopped');
      const r = await reconciler.reconcileOnce();
      assert.deepEqual(r.restarted, ['web']);
      await until(async () => (await engine.get('web')).status === 'ready' && (await local.describe(m1)).state === 'running');
      const notes = (await listEvents(store.db, dep.id)).map((e) => e.message ?? '');
      assert.ok(notes.some((m) => /restarting/.test(m)), notes.join('|'));

      // A tagged process no deployment owns: reported, then destroyed (grace 0).
      const orphan = await local.create(
        { deploymentId: 'd-ghost', name: 'ghost', spec: spec('ghost'), offer: { provider: 'local', region: 'local', instanceType: 'local' }, port: await findFreePort(), workdir: HELLO, env: {}, tags: {} },
        { idempotencyKey: 'ghost-1' },
      );
      const r2 = await reconciler.reconcileOnce();
      assert.deepEqual(r2.orphans, [`local/${orphan.id}`]);
      assert.deepEqual(r2.destroyedOrphans, [`local/${orphan.id}`]);
      assert.equal((await local.list({ deploymentId: 'd-ghost' })).length, 0);
      assert.equal((await local.list({ deploymentId: dep.id })).length, 1, 'the owned machine is untouched');

      // Another installation's machine (a shared cloud account): not an orphan of ours.
      const foreign = await local.create(
        { deploymentId: 'd-theirs', name: 'theirs', spec: spec('theirs'), offer: { provider: 'local', region: 'local', instanceType: 'local' }, port: await findFreePort(), workdir: HELLO, env: {}, tags: { 'aloft-installation': 'inst-b' } },
        { idempotencyKey: 'theirs-1' },
      );
      const r3 = await reconciler.reconcileOnce();
      assert.deepEqual(r3.orphans, []);
      assert.equal((await local.describe(foreign)).state, 'running');
      assert.equal(reconciler.remembered(), 1, 'the foreign machine is remembered (logged once)');
      await local.destroy(foreign);
      await reconciler.reconcileOnce();
      assert.equal(reconciler.remembered(), 0, 'a machine no longer listed is forgotten');

      // Idle: no activity for longer than idle_timeout → stopped.
      await engine.submit({ spec: spec('idle', { idle_timeout: '1s', on_idle: 'stop' }), baseDir: null, owner: 'me' });
      const idle = await until(async () => ((await engine.get('idle')).status === 'ready' ? engine.get('idle') : null));
      await updateDeployment(store.db, idle.id, { last_activity_at: Date.now() - 5000, ready_at: Date.now() - 5000 });
      assert.deepEqual(await monitorOnce(ctx, engine), ['idle']);
      await until(async () => (await engine.get('idle')).status === 'stopped');

      // TTL: past expires_at → destroyed.
      await updateDeployment(store.db, dep.id, { expires_at: Date.now() - 1 });
      assert.ok((await monitorOnce(ctx, engine)).includes('web'));
      await until(async () => (await engine.get('web')).status === 'destroyed');
      assert.equal((await local.list({ deploymentId: dep.id })).length, 0);
    });
  });
}
