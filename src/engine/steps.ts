/**
 * Recorded steps. A job's step runs once: its result is stored, and a job resumed after
 * a crash reads the result instead of running the step again. Each step is also an
 * event (`type: 'step'`), which is what `aloft up` shows live with its elapsed time.
 */
import type { Job } from '../queue/queue.js';
import { appendEvent } from '../store/events.js';
import { finishStep, getStep, startStep } from '../store/steps.js';
import type { EngineContext } from './context.js';
import { crashPoint } from './crash.js';

export async function step<T>(ctx: EngineContext, job: Job, name: string, fn: () => Promise<T>): Promise<T> {
  const db = ctx.store.db;
  const done = await getStep(db, job.id, name);
  if (done?.status === 'done') return (done.data_json === null ? undefined : JSON.parse(done.data_json)) as T;
  const started = ctx.now();
  await startStep(db, job.id, name, job.deployment_id, started);
  await crashPoint(ctx, `${name}:before`, job.deployment_id);
  const result = await fn();
  const finished = ctx.now();
  await finishStep(db, job.id, name, finished, result);
  if (job.deployment_id) {
    await appendEvent(db, { deploymentId: job.deployment_id, at: finished, type: 'step', message: name, data: { step: name, elapsedMs: finished - started } });
  }
  await crashPoint(ctx, `${name}:after`, job.deployment_id);
  return result;
}
