/**
 * Fault injection for the crash test: with ALOFT_CRASH_AT=<step>:<before|after>, the
 * control plane kills itself with SIGKILL at that point — the real code path, cut short
 * the way a power loss would. ALOFT_CRASH_NAME limits it to one deployment (jobs of other
 * deployments resumed meanwhile pass through), and the marker file ALOFT_CRASH_MARKER
 * makes only the first server crash, so the restarted one carries on.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { getDeployment } from '../store/deployments.js';
import type { EngineContext } from './context.js';

export async function crashPoint(ctx: EngineContext, point: string, deploymentId?: string | null): Promise<void> {
  if (!ctx.crashAt || ctx.crashAt !== point) return;
  const only = process.env.ALOFT_CRASH_NAME;
  if (only && (!deploymentId || (await getDeployment(ctx.store.db, deploymentId))?.name !== only)) return;
  const marker = process.env.ALOFT_CRASH_MARKER;
  if (marker) {
    if (existsSync(marker)) return;
    writeFileSync(marker, point);
  }
  ctx.log.warn({ point }, 'crash point reached: SIGKILL');
  process.kill(process.pid, 'SIGKILL');
}
