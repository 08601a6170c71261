/** Shows a deployment's events live, each with its elapsed time, until a final status. */
import type { AloftClient, DeploymentView, EventView } from '../sdk/client.js';
import { formatDuration } from './output.js';

export async function followUntil(
  client: AloftClient,
  name: string,
  opts: { until: string[]; after?: number; since?: number; quiet?: boolean; timeoutMs?: number },
): Promise<DeploymentView> {
  let after = opts.after ?? 0;
  const since = opts.since ?? Date.now();
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60_000);
  while (true) {
    const events = await client.events(name, after);
    for (const e of events) {
      after = e.id;
      if (!opts.quiet) process.stderr.write(formatEvent(e, since) + '\n');
    }
    const d = await client.get(name);
    const done = opts.until.includes(d.status) || d.status === 'failed';
    if (done && events.length === 0) return d;
    if (Date.now() > deadline) return d;
    if (!done) await new Promise((r) => setTimeout(r, 200));
  }
}

function formatEvent(e: EventView, since: number): string {
  const t = formatDuration(Math.max(0, e.at_ms - since)).padStart(7);
  if (e.type === 'status') return `${t}  ${e.to_status}${e.message ? `: ${e.message}` : ''}`;
  if (e.type === 'step') {
    const d = e.data as { elapsedMs?: number } | null;
    return `${t}    ✓ ${e.message}${d?.elapsedMs !== undefined ? ` (${formatDuration(d.elapsedMs)})` : ''}`;
  }
  return `${t}    · ${e.message ?? e.type}`;
}
