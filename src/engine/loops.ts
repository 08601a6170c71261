/**
 * Runs the singleton loops (reconciler, monitors) while this server holds their lease,
 * so several replicas on PostgreSQL never double-act.
 */
import { acquireLease, releaseLease } from '../store/leases.js';
import type { EngineContext } from './context.js';
import type { Engine } from './engine.js';
import { monitorOnce } from './monitors.js';
import { createReconciler } from './reconciler.js';

export function startLoops(ctx: EngineContext, engine: Engine, opts: { holder: string; intervalMs: number; isActive?: (id: string) => boolean }): { stop(): Promise<void> } {
  const reconciler = createReconciler(ctx);
  let stopped = false;
  let running: Promise<void> | null = null;
  const tick = async () => {
    if (stopped) return;
    try {
      if (await acquireLease(ctx.store.db, 'engine-loops', opts.holder, opts.intervalMs * 5, ctx.now())) {
        await reconciler.reconcileOnce();
        await monitorOnce(ctx, engine, opts.isActive);
      }
    } catch (err) {
      ctx.log.error({ err: (err as Error).message }, 'engine loop failed');
    }
  };
  const timer = setInterval(() => {
    if (!running) running = tick().finally(() => (running = null));
  }, opts.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await releaseLease(ctx.store.db, 'engine-loops', opts.holder).catch(() => {});
    },
  };
}
