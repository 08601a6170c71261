/**
 * Waits until the machine runs and its workload answers its health check, polling the
 * provider (calls return promptly; waiting is the engine's job). A machine that stops
 * on its own while we wait (a command that exits at once) fails at once, with the
 * provider's reason and the last line of its log; so does a cloud machine whose agent
 * reports that its bootstrap failed (it would never answer: no use waiting out the
 * ready timeout).
 */
import { PermanentJobError } from '../queue/worker.js';
import type { Deployment } from '../store/types.js';
import { getDeployment } from '../store/deployments.js';
import { latestAgentStage } from '../store/events.js';
import { canLogs, type Provider } from '../providers/types.js';
import { TransientError, isProviderError } from '../providers/errors.js';
import type { Spec } from '../spec/schema.js';
import type { EngineContext } from './context.js';
import { providerFor } from './context.js';
import { probeHealth } from './health.js';
import { workloadOf } from './workload.js';
import { upstreamAuthHeader } from '../bootstrap/sha-crypt.js';
import { httpsEndpoint, pinnedTls } from '../lib/self-signed.js';
import { Agent } from 'undici';

export async function waitReady(
  ctx: EngineContext,
  dep: Deployment,
  machine: { providerId: string; endpoint: string | null },
  spec: Spec,
  signal: AbortSignal,
  /** Agent reports from before this time (epoch ms; default now) belong to an earlier boot. */
  since: number = ctx.now(),
): Promise<string> {
  const provider = providerFor(ctx, dep.provider ?? 'local');
  const w = workloadOf(spec, dep.base_dir);
  const ref = { provider: provider.name, id: machine.providerId, region: dep.region ?? undefined };
  const deadline = ctx.now() + ctx.readyTimeoutMs;
  // A cloud machine answers only through its key proxy, which wants the upstream secret as
  // HTTP Basic auth (docs/bootstrap.md); a local process checks nothing on its health path.
  const headers = provider.name !== 'local' && dep.upstream_secret ? upstreamAuthHeader(ctx.secrets.open(dep.upstream_secret)) : undefined;
  // Its key proxy speaks TLS with the certificate the control plane issued: trust exactly it.
  const caPem = provider.name !== 'local' ? ((await getDeployment(ctx.store.db, dep.id))?.tls_cert ?? null) : null;
  const dispatcher = caPem ? new Agent({ connect: pinnedTls(caPem), keepAliveTimeout: 10_000 }) : undefined;
  try {
    return await poll();
  } finally {
    await dispatcher?.close().catch(() => dispatcher.destroy());
  }

  async function poll(): Promise<string> {
    while (true) {
      if (signal.aborted) throw new Error('shutting down');
      const current = await getDeployment(ctx.store.db, dep.id);
      if (!current || current.desired_state !== 'running') return machine.endpoint ?? '';
      let m;
      try {
        m = await provider.describe(ref);
      } catch (err) {
        if (isProviderError(err) && err.retryable) m = null;
        else throw err;
      }
      if (m && (m.state === 'stopped' || m.state === 'terminated')) {
        const tail = await lastLogLine(provider, ref);
        throw new PermanentJobError(`${dep.name} ${m.stateReason ?? m.state} before it became ready${tail ? `: ${tail}` : ''}`);
      }
      if (provider.name !== 'local') {
        const stage = await latestAgentStage(ctx.store.db, dep.id, since);
        if (stage?.stage === 'failed') {
          throw new PermanentJobError(`${dep.name}: the machine's bootstrap failed${stage.message ? ` (${stage.message})` : ''}; its bootstrap log: aloft events ${dep.name}`);
        }
      }
      const endpoint = machineEndpoint(provider.name, m?.endpoint) ?? machine.endpoint;
      if (m?.state === 'running' && endpoint && (await probeHealth(endpoint, w.healthPath, { model: w.model, headers, dispatcher }))) return endpoint;
      if (ctx.now() > deadline) {
        throw new TransientError(`${dep.name} did not answer ${w.healthPath} within ${Math.round(ctx.readyTimeoutMs / 1000)}s`);
      }
      await sleep(ctx.pollMs, signal);
    }
  }
}

/**
 * The address the control plane reaches a machine at. A cloud machine's only open port is
 * its key proxy, which speaks TLS only, so its provider's `http://ip:port` becomes https;
 * a local process is plain http, as reported.
 */
export function machineEndpoint(provider: string, endpoint: string | null | undefined): string | null {
  return provider === 'local' ? (endpoint ?? null) : httpsEndpoint(endpoint);
}

async function lastLogLine(provider: Provider, ref: { provider: string; id: string }): Promise<string | null> {
  if (!canLogs(provider)) return null;
  try {
    let last: string | null = null;
    for await (const line of provider.logs(ref, { tail: 5 })) if (line.trim()) last = line.trim();
    return last ? last.slice(0, 200) : null;
  } catch {
    return null;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
