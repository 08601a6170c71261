/**
 * The idle rule (DESIGN.md "Reaching a deployment"): a ready deployment with an idle
 * timeout and no activity — no request, no open stream — for that long is idle, and the
 * engine stops or destroys it (lifecycle.on_idle). The engine calls this on a loop
 * (every ≤ 5 s keeps the action within idle_timeout + 10 s).
 *
 * `activeIds` are the deployments the gateway holds as active right now (open streams,
 * or activity not yet flushed to the store): never idle, whatever the store says.
 */

export interface IdleCandidate {
  id: string;
  status: string;
  idleTimeoutMs: number | null;
  /** Latest activity recorded in the store (epoch ms). */
  lastActivityAt: number | null;
  /** When the deployment last became ready: a fresh start is not idle at once. */
  readyAt: number | null;
}

export function findIdle(deployments: IdleCandidate[], now: number, activeIds: Set<string>): string[] {
  const out: string[] = [];
  for (const d of deployments) {
    if (d.status !== 'ready' || d.idleTimeoutMs === null || d.idleTimeoutMs <= 0) continue;
    if (activeIds.has(d.id)) continue;
    const since = Math.max(d.lastActivityAt ?? 0, d.readyAt ?? 0);
    if (since === 0) continue;
    if (now - since >= d.idleTimeoutMs) out.push(d.id);
  }
  return out;
}
