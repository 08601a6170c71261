/**
 * The provisioning job: plan → prepare → create machine (with failover across offers) →
 * wait until the workload answers → ready. Each step is recorded; a job resumed after a
 * crash skips what is done, and `create` is idempotent on its key, so a crash at any
 * point never makes a second machine. A failure that no retry can fix tears down what
 * was created and ends the deployment `failed` with a one-line reason.
 */
import { randomBytes } from 'node:crypto';
import type { Job } from '../queue/queue.js';
import { PermanentJobError } from '../queue/worker.js';
import { appendEvent } from '../store/events.js';
import { getDeployment, updateDeployment } from '../store/deployments.js';
import { insertMachineIntent, liveMachines, updateMachine } from '../store/machines.js';
import type { Deployment } from '../store/types.js';
import { CapacityError, isProviderError } from '../providers/errors.js';
import { aloftTags, TAG_INSTALLATION, type Machine } from '../providers/types.js';
import { findFreePort } from '../providers/local/ports.js';
import type { PlannedOffer } from '../catalog/types.js';
import type { Spec } from '../spec/schema.js';
import { newId } from '../lib/ids.js';
import { generateAgentToken, hashAgentToken } from '../bootstrap/agent-token.js';
import { generateSelfSigned } from '../lib/self-signed.js';
import type { EngineContext } from './context.js';
import { providerFor } from './context.js';
import { step } from './steps.js';
import { transition } from './transitions.js';
import { lifecycleOf, workloadOf } from './workload.js';
import { machineEndpoint, waitReady } from './wait-ready.js';
import { removeLeftovers, teardown } from './teardown.js';
import { costColumns } from './cost.js';
import { cloudProxyPort } from '../bootstrap/builder.js';

interface Prepared {
  port: number;
  /** The agent token, sealed: it travels only inside the user-data. */
  sealedAgentToken?: string;
  /** The key of the certificate issued to a cloud machine, sealed; its certificate is on the deployment. */
  sealedTlsKey?: string;
}

interface Created {
  machineId: string;
  offerIndex: number;
  providerId: string;
  endpoint: string | null;
}

export async function provisionJob(ctx: EngineContext, job: Job, signal: AbortSignal): Promise<void> {
  let dep = await mustGet(ctx, job.deployment_id!);
  if (dep.desired_state !== 'running' || dep.status === 'destroyed' || dep.status === 'destroying') return;
  const spec = JSON.parse(dep.spec_json) as Spec;
  try {
    if (dep.status === 'queued') dep = await transition(ctx.store.db, dep, 'provisioning', { at: ctx.now() });

    const offers = await step(ctx, job, 'plan', () => ctx.plan(spec));
    if (offers.length === 0) throw new PermanentJobError('no offer fits this spec');

    const prepared = await step<Prepared>(ctx, job, 'prepare', async () => {
      const w = workloadOf(spec, dep.base_dir);
      const port = offers[0]!.provider === 'local' ? (w.port ?? (await findFreePort())) : cloudProxyPort(spec, w.port);
      const upstreamSecret = randomBytes(32).toString('base64url');
      const agentToken = generateAgentToken();
      // A cloud machine's key proxy serves the certificate issued here; the probe and the
      // gateway trust exactly it. The key is kept only sealed, until the user-data is rendered.
      const cert = offers.some((o) => o.provider !== 'local') ? await generateSelfSigned(`aloft-${dep.id}`) : null;
      await updateDeployment(ctx.store.db, dep.id, {
        port,
        upstream_secret: ctx.secrets.seal(upstreamSecret),
        agent_token_hash: hashAgentToken(agentToken),
        tls_cert: cert?.certPem ?? null,
        updated_at: ctx.now(),
      });
      await appendEvent(ctx.store.db, { deploymentId: dep.id, at: ctx.now(), type: 'note', message: `port ${port}` });
      return { port, sealedAgentToken: ctx.secrets.seal(agentToken), ...(cert ? { sealedTlsKey: ctx.secrets.seal(cert.keyPem) } : {}) };
    });

    const created = await step<Created>(ctx, job, 'create-machine', () => createWithFailover(ctx, job, dep, spec, offers, prepared));
    const offer = offers[created.offerIndex]!;
    dep = await mustGet(ctx, dep.id);
    if (dep.status === 'provisioning') {
      dep = await transition(ctx.store.db, dep, 'booting', {
        at: ctx.now(),
        reason: `${offer.provider}/${offer.region} ${offer.instanceType}`,
        patch: { provider: offer.provider, region: offer.region, instance_type: offer.instanceType, ...costColumns(offer, spec), endpoint: created.endpoint },
      });
    }

    // The agent of this machine reports from its creation on; a retried step keeps that.
    const createdAt = (await liveMachines(ctx.store.db, dep.id)).find((r) => r.id === created.machineId)?.created_at;
    const endpoint = await step(ctx, job, 'wait-ready', () => waitReady(ctx, dep, created, spec, signal, createdAt));
    dep = await mustGet(ctx, dep.id);
    if (dep.desired_state !== 'running') return; // superseded by stop/down: their jobs take over
    const now = ctx.now();
    const ttl = lifecycleOf(spec).ttlMs;
    await transition(ctx.store.db, dep, 'ready', {
      at: now,
      patch: { endpoint, ready_at: now, last_activity_at: now, expires_at: ttl === null ? dep.expires_at : (dep.expires_at ?? now + ttl) },
    });
  } catch (err) {
    if (signal.aborted) throw err;
    const last = job.attempts >= job.max_attempts;
    const permanent = err instanceof PermanentJobError || (isProviderError(err) && !err.retryable);
    if (!permanent && !last) throw err;
    const reason = oneLine(err);
    ctx.log.warn({ deployment: dep.name, reason }, 'provisioning failed');
    await teardown(ctx, dep);
    // Best effort: what a failed create left (a firewall, keys); `down` insists on it later.
    await removeLeftovers(ctx, dep).catch((e: unknown) => ctx.log.warn({ deployment: dep.name, err: (e as Error)?.message }, 'leftovers after a failed provisioning'));
    const fresh = await mustGet(ctx, dep.id);
    if (fresh.status !== 'failed' && fresh.status !== 'destroyed') await transition(ctx.store.db, fresh, 'failed', { at: ctx.now(), reason });
    throw new PermanentJobError(reason);
  }
}

async function createWithFailover(
  ctx: EngineContext,
  job: Job,
  dep: Deployment,
  spec: Spec,
  offers: PlannedOffer[],
  prepared: Prepared,
): Promise<Created> {
  const w = workloadOf(spec, dep.base_dir);
  const failures: string[] = [];
  // A retried step resumes where the last try got to: a machine already created is
  // returned, and an intent left by a crash is retried on the same offer (same key), so
  // no earlier offer is tried again and no second machine appears.
  const prefix = `${dep.id}-g${dep.generation}-o`;
  const mine = (await liveMachines(ctx.store.db, dep.id)).filter((r) => r.idempotency_key.startsWith(prefix));
  const made = mine.find((r) => r.state === 'created' && r.provider_id);
  if (made) return { machineId: made.id, offerIndex: Number(made.idempotency_key.slice(prefix.length)), providerId: made.provider_id!, endpoint: made.endpoint };
  const resumeAt = Math.max(0, ...mine.map((r) => Number(r.idempotency_key.slice(prefix.length))));
  for (let i = resumeAt; i < offers.length; i++) {
    const offer = offers[i]!;
    const provider = providerFor(ctx, offer.provider);
    const key = `${prefix}${i}`;
    const row = await insertMachineIntent(ctx.store.db, {
      id: newId('m'),
      deployment_id: dep.id,
      provider: offer.provider,
      region: offer.region,
      instance_type: offer.instanceType,
      idempotency_key: key,
      created_at: ctx.now(),
    });
    // Read fresh: the caller's row predates the prepare step that sealed the secret.
    const fresh = await mustGet(ctx, dep.id);
    const upstreamSecret = fresh.upstream_secret ? ctx.secrets.open(fresh.upstream_secret) : '';
    const agentToken = prepared.sealedAgentToken ? ctx.secrets.open(prepared.sealedAgentToken) : '';
    const tls = offer.provider !== 'local' && fresh.tls_cert && prepared.sealedTlsKey ? { certPem: fresh.tls_cert, keyPem: ctx.secrets.open(prepared.sealedTlsKey) } : undefined;
    const userData = ctx.renderUserData
      ? await ctx.renderUserData({ spec, deployment: dep, offer, port: prepared.port, upstreamSecret, agentToken, ...(tls ? { tls } : {}) })
      : undefined;
    let machine: Machine;
    try {
      machine = await provider.create(
        {
          deploymentId: dep.id,
          name: dep.name,
          spec,
          offer,
          port: prepared.port,
          userData,
          env: { ...w.env, ALOFT_UPSTREAM_SECRET_HEADER: 'x-aloft-upstream-secret' },
          workdir: w.workdir,
          diskGb: spec.resources?.disk,
          tags: aloftTags(dep.id, ctx.installationId ? { [TAG_INSTALLATION]: ctx.installationId } : {}),
        },
        { idempotencyKey: key },
      );
    } catch (err) {
      if (err instanceof CapacityError && i < offers.length - 1) {
        failures.push(`${offer.provider}/${offer.region}: ${err.message}`);
        await updateMachine(ctx.store.db, row.id, { state: 'destroyed', destroyed_at: ctx.now(), updated_at: ctx.now() });
        await appendEvent(ctx.store.db, { deploymentId: dep.id, at: ctx.now(), type: 'note', message: `no capacity at ${offer.provider}/${offer.region} ${offer.instanceType}; trying the next offer` });
        continue;
      }
      throw err;
    }
    const endpoint = machineEndpoint(offer.provider, machine.endpoint);
    await updateMachine(ctx.store.db, row.id, {
      provider_id: machine.id,
      state: 'created',
      endpoint,
      details_json: machine.details ? JSON.stringify(machine.details) : null,
      updated_at: ctx.now(),
    });
    return { machineId: row.id, offerIndex: i, providerId: machine.id, endpoint };
  }
  throw new PermanentJobError(`no capacity in any offer: ${failures.join('; ')}`);
}

export async function mustGet(ctx: EngineContext, id: string): Promise<Deployment> {
  const d = await getDeployment(ctx.store.db, id);
  if (!d) throw new PermanentJobError(`deployment ${id} not found`);
  return d;
}

export function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 500);
}
