/**
 * The reconciler compares the store with what each provider says it holds:
 *  - a ready deployment whose machine stopped on its own (a local process that died)
 *    is restarted, or marked failed after too many restarts;
 *  - a machine carrying Aloft's tags that no live deployment owns is an orphan:
 *    reported as an event, then destroyed after a grace period.
 */
import { enqueue, pendingJobs } from '../queue/queue.js';
import { appendEvent } from '../store/events.js';
import { listDeployments } from '../store/deployments.js';
import { allLiveMachines, updateMachine } from '../store/machines.js';
import { NotFoundError } from '../providers/errors.js';
import { canStartStop, type Machine } from '../providers/types.js';
import type { EngineContext } from './context.js';
import { transition } from './transitions.js';
import { classifyMachine, machineKey, ownershipOf } from './machine-ownership.js';

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10 * 60_000;

export interface Reconciler {
  reconcileOnce(): Promise<{ restarted: string[]; orphans: string[]; destroyedOrphans: string[] }>;
  /** Machines held in memory (orphans in their grace period, foreign machines logged): bounded by what the providers list. */
  remembered(): number;
}

export function createReconciler(ctx: EngineContext): Reconciler {
  const firstSeen = new Map<string, number>();
  /** Machines of other installations already logged (once each). */
  const foreign = new Set<string>();
  const restarts = new Map<string, number[]>();
  // Listing every provider's machines is the expensive part (cloud API calls; a /proc
  // scan for the local provider), so it runs less often than the health checks.
  let lastOrphanScan = -Infinity;

  return {
    remembered: () => firstSeen.size + foreign.size,
    async reconcileOnce() {
      const db = ctx.store.db;
      const now = ctx.now();
      const deployments = await listDeployments(db);
      const byId = new Map(deployments.map((d) => [d.id, d]));
      const rows = await allLiveMachines(db);
      const restarted: string[] = [];
      for (const id of restarts.keys()) if (!byId.has(id)) restarts.delete(id);

      // 1. Ready deployments whose machine is no longer running.
      for (const row of rows) {
        const dep = byId.get(row.deployment_id);
        if (!dep || dep.status !== 'ready' || dep.desired_state !== 'running' || !row.provider_id) continue;
        const provider = ctx.providers.get(row.provider);
        if (!provider) continue;
        let m: Machine | null = null;
        try {
          m = await provider.describe({ provider: row.provider, id: row.provider_id, region: row.region });
        } catch (err) {
          if (!(err instanceof NotFoundError)) continue; // unreachable provider: look again later
        }
        if (m && m.state !== 'stopped' && m.state !== 'terminated') continue;
        if ((await pendingJobs(db, dep.id)).length > 0) continue;
        const recent = (restarts.get(dep.id) ?? []).filter((t) => now - t < RESTART_WINDOW_MS);
        if (!m || !canStartStop(provider) || recent.length >= MAX_RESTARTS) {
          if (!m) await updateMachine(db, row.id, { state: 'destroyed', destroyed_at: now, updated_at: now });
          const reason = !m ? 'its machine disappeared' : `it stopped ${recent.length} times in ${RESTART_WINDOW_MS / 60_000} minutes (${m.stateReason ?? 'stopped'})`;
          await transition(db, dep, 'failed', { at: now, reason });
          continue;
        }
        recent.push(now);
        restarts.set(dep.id, recent);
        await appendEvent(db, { deploymentId: dep.id, at: now, type: 'note', message: `machine ${m.stateReason ?? 'stopped'}; restarting` });
        await enqueue(db, { kind: 'start', deploymentId: dep.id, payload: { reason: `restart after ${m.stateReason ?? 'stop'}` } }, now);
        ctx.nudge?.();
        restarted.push(dep.name);
      }

      // 2. Orphans: tagged machines no live deployment owns (rules: machine-ownership.ts).
      const ownership = ownershipOf(rows);
      const orphans: string[] = [];
      const destroyedOrphans: string[] = [];
      const scanDue = now - lastOrphanScan >= (ctx.orphanScanMs ?? 30_000);
      if (scanDue) lastOrphanScan = now;
      for (const provider of scanDue ? ctx.providers.values() : []) {
        let machines: Machine[];
        try {
          machines = await provider.list();
        } catch {
          continue;
        }
        // Forget what this provider no longer lists (destroyed by someone else, or by us), so
        // the two memories hold only machines that still exist.
        const listed = new Set(machines.map((m) => machineKey(provider.name, m.id)));
        for (const memory of [firstSeen, foreign]) {
          for (const key of memory.keys()) if (key.startsWith(`${provider.name}/`) && !listed.has(key)) memory.delete(key);
        }
        for (const m of machines) {
          const key = machineKey(provider.name, m.id);
          const found = classifyMachine(provider.name, m, ownership, ctx.installationId);
          if (found.class === 'owned' || found.class === 'pending') continue;
          if (found.class === 'foreign') {
            // Another installation's machine in a shared account: its own control plane answers for it.
            if (!foreign.has(key)) {
              foreign.add(key);
              ctx.log.info({ machine: key, installation: found.installation }, 'machine of another Aloft installation; left alone');
            }
            continue;
          }
          const owner = found.deploymentId;
          orphans.push(key);
          const seen = firstSeen.get(key);
          if (seen === undefined) {
            firstSeen.set(key, now);
            await appendEvent(db, { deploymentId: owner ?? 'unknown', at: now, type: 'orphan', message: `orphan machine ${key} found; destroying it after ${Math.round(ctx.orphanGraceMs / 1000)}s`, data: { provider: provider.name, id: m.id } });
            ctx.log.warn({ machine: key, deployment: owner }, 'orphan machine found');
          }
          if (now - (seen ?? now) >= ctx.orphanGraceMs) {
            await provider.destroy(m);
            firstSeen.delete(key);
            destroyedOrphans.push(key);
            await appendEvent(db, { deploymentId: owner ?? 'unknown', at: now, type: 'orphan', message: `orphan machine ${key} destroyed` });
          }
        }
      }
      return { restarted, orphans, destroyedOrphans };
    },
  };
}
