/**
 * The engine's front: what the API asks of it. Wishes (up, stop, start, down) change
 * `desired_state` and enqueue a job in one transaction; the jobs do the work.
 */
import { execFileSync } from 'node:child_process';
import type { Kysely } from 'kysely';
import { enqueue, cancelJobs } from '../queue/queue.js';
import type { JobHandler } from '../queue/worker.js';
import { appendEvent } from '../store/events.js';
import { findLiveByName, getDeploymentByName } from '../store/deployments.js';
import type { DB, Deployment, DesiredState } from '../store/types.js';
import type { Spec } from '../spec/schema.js';
import { isPortFree } from '../providers/local/ports.js';
import { newId } from '../lib/ids.js';
import type { EngineContext } from './context.js';
import { provisionJob } from './provision.js';
import { destroyJob, startJob, stopJob } from './power.js';
import { workloadOf } from './workload.js';
import { costColumns, spentThisMonth } from './cost.js';
import { budgetsFor, checkBudgets, projectRestOfMonth } from '../catalog/budget.js';

/** A refusal the API turns into a status and a stable code. */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Engine {
  submit(input: { spec: Spec; baseDir: string | null; owner: string }): Promise<Deployment>;
  requestStop(name: string, reason?: string): Promise<Deployment>;
  requestStart(name: string, reason?: string): Promise<Deployment>;
  requestDestroy(name: string, reason?: string): Promise<Deployment>;
  get(name: string): Promise<Deployment>;
  handlers: Record<string, JobHandler>;
}

export function createEngine(ctx: EngineContext): Engine {
  const db = ctx.store.db;

  async function get(name: string): Promise<Deployment> {
    const d = await getDeploymentByName(db, name);
    if (!d) throw new EngineError('not_found', 404, `no deployment named ${name}`);
    return d;
  }

  async function wish(dep: Deployment, desired: DesiredState, kind: string, reason?: string): Promise<Deployment> {
    const now = ctx.now();
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('deployments').set({ desired_state: desired, updated_at: now }).where('id', '=', dep.id).execute();
      await cancelJobs(tx as unknown as Kysely<DB>, dep.id, ['stop', 'start'], now);
      await enqueue(tx as unknown as Kysely<DB>, { kind, deploymentId: dep.id, payload: { reason }, maxAttempts: kind === 'destroy' ? 50 : 5 }, now);
    });
    ctx.nudge?.();
    return { ...dep, desired_state: desired };
  }

  return {
    get,
    async submit({ spec, baseDir, owner }) {
      if (await findLiveByName(db, spec.name)) {
        throw new EngineError('name_in_use', 409, `a deployment named ${spec.name} already exists (aloft down ${spec.name} first, or pick another name)`);
      }
      const offers = await ctx.plan(spec);
      const first = offers[0];
      if (!first) throw new EngineError('no_offer', 400, `no offer fits ${spec.name}`);
      if (first.provider === 'local') await checkLocal(spec, baseDir);
      const now = ctx.now();
      await checkBudget(ctx, owner, first.hourlyUsd, now);
      const dep: Deployment = {
        id: newId('d'),
        name: spec.name,
        kind: spec.kind,
        owner,
        spec_json: JSON.stringify(spec),
        base_dir: baseDir,
        provider: first.provider,
        region: first.region,
        instance_type: first.instanceType,
        ...costColumns(first, spec),
        desired_state: 'running',
        status: 'queued',
        status_reason: null,
        endpoint: null,
        port: null,
        upstream_secret: null,
        agent_token_hash: null,
        tls_cert: null,
        generation: 1,
        created_at: now,
        updated_at: now,
        ready_at: null,
        last_activity_at: null,
        expires_at: null,
        destroyed_at: null,
      };
      try {
        await db.transaction().execute(async (tx) => {
          await tx.insertInto('deployments').values(dep).execute();
          await appendEvent(tx, { deploymentId: dep.id, at: now, type: 'status', fromStatus: null, toStatus: 'queued', message: `${first.provider}/${first.region} ${first.instanceType}` });
          await enqueue(tx as unknown as Kysely<DB>, { kind: 'provision', deploymentId: dep.id, payload: { generation: 1 }, maxAttempts: 4 }, now);
        });
      } catch (err) {
        if (/unique|constraint/i.test(String((err as Error).message))) {
          throw new EngineError('name_in_use', 409, `a deployment named ${spec.name} already exists`);
        }
        throw err;
      }
      ctx.nudge?.();
      return dep;
    },
    async requestStop(name, reason) {
      const dep = await get(name);
      if (!['queued', 'provisioning', 'booting', 'ready', 'starting'].includes(dep.status)) {
        if (dep.status === 'stopped' || dep.status === 'stopping') return dep;
        throw new EngineError('invalid_state', 409, `${name} is ${dep.status}; only a running deployment can be stopped`);
      }
      return wish(dep, 'stopped', 'stop', reason);
    },
    async requestStart(name, reason) {
      const dep = await get(name);
      if (dep.status === 'ready' || dep.status === 'starting') return dep;
      if (dep.status !== 'stopped' && dep.status !== 'stopping') {
        throw new EngineError('invalid_state', 409, `${name} is ${dep.status}; only a stopped deployment can be started`);
      }
      return wish(dep, 'running', 'start', reason);
    },
    async requestDestroy(name, reason) {
      const dep = await get(name);
      if (dep.status === 'destroyed') return dep;
      return wish(dep, 'deleted', 'destroy', reason);
    },
    handlers: {
      provision: (job, signal) => provisionJob(ctx, job, signal),
      stop: (job) => stopJob(ctx, job),
      start: (job, signal) => startJob(ctx, job, signal),
      destroy: (job) => destroyJob(ctx, job),
    },
  };
}

/**
 * Refuses a deployment whose cost to the end of the month, on top of this month's
 * spending, would exceed the global budget or its owner's. A free offer (local) adds
 * nothing, so it is never refused.
 */
async function checkBudget(ctx: EngineContext, owner: string, hourlyUsd: number, now: number): Promise<void> {
  const config = ctx.budgets ? { budgets: ctx.budgets } : undefined;
  if (hourlyUsd <= 0 || budgetsFor(config, owner).length === 0) return;
  const spent = await spentThisMonth(ctx.store.db, now);
  const projected = projectRestOfMonth(hourlyUsd, now);
  const check = checkBudgets(config, owner, { globalUsd: spent.globalUsd, userUsd: spent.byUser.get(owner) ?? 0 }, projected);
  if (check && !check.ok) {
    throw new EngineError('budget_exceeded', 402, `refused: ${check.message} (at $${hourlyUsd.toFixed(4)}/h until the end of the month)`);
  }
}

/** Bad input caught before anything is created: a taken port, a missing ollama binary. */
async function checkLocal(spec: Spec, baseDir: string | null): Promise<void> {
  const w = workloadOf(spec, baseDir);
  if (w.port !== null && !(await isPortFree(w.port))) {
    throw new EngineError('port_in_use', 409, `port ${w.port} is already in use on this machine (choose another port, or leave it out to get a free one)`);
  }
  if (spec.kind === 'ollama' && !onPath('ollama')) {
    throw new EngineError(
      'ollama_missing',
      400,
      'ollama is not installed on this machine: install it from https://ollama.com/download (curl -fsSL https://ollama.com/install.sh | sh), or run this spec on a cloud provider',
    );
  }
  if (spec.kind === 'devbox') throw new EngineError('unsupported', 400, 'kind devbox needs a cloud provider (the local provider has no SSH host)');
}

function onPath(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
