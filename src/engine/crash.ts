/**
 * Fault injection for the crash test: with ALOFT_CRASH_AT=<step>:<before|after>, the
 * control plane kills itself with SIGKILL at that point — the real code path, cut short
 * the way a power loss would. Only the first server after setting it crashes: the marker
 * file makes the restarted one carry on.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { EngineContext } from './context.js';

export function crashPoint(ctx: EngineContext, point: string): void {
  if (!ctx.crashAt || ctx.crashAt !== point) return;
  const marker = process.env.ALOFT_CRASH_MARKER;
  if (marker) {
    if (existsSync(marker)) return;
    writeFileSync(marker, point);
  }
  ctx.log.warn({ point }, 'crash point reached: SIGKILL');
  process.kill(process.pid, 'SIGKILL');
}
