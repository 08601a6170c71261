/**
 * Runs jobs: claims with a lease, keeps the lease alive while the handler works, and
 * records success or failure. Several jobs run at once (one per deployment at most).
 * Handlers must be idempotent: a job may run again after a crash.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../store/types.js';
import type { Dialect } from '../store/db.js';
import { claim, complete, fail, heartbeat, release, type Job } from './queue.js';

export type JobHandler = (job: Job, signal: AbortSignal) => Promise<void>;

/** Thrown by a handler to end its job without retrying (bad input, auth failure). */
export class PermanentJobError extends Error {
  readonly retryable = false;
}

export interface WorkerOptions {
  db: Kysely<DB>;
  dialect: Dialect;
  workerId: string;
  handlers: Record<string, JobHandler>;
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  /** Called when a job fails or dies, for logging. */
  onError?: (job: Job, err: unknown, outcome: 'retry' | 'dead') => void;
}

export interface Worker {
  stop(): Promise<void>;
  /** Wakes the loop now (a job was just enqueued). */
  nudge(): void;
}

export function startWorker(opts: WorkerOptions): Worker {
  const leaseMs = opts.leaseMs ?? 30_000;
  const pollMs = opts.pollMs ?? 250;
  const concurrency = opts.concurrency ?? 4;
  const running = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let looping = false;
  const abort = new AbortController();

  async function runJob(job: Job): Promise<void> {
    const beat = setInterval(() => {
      heartbeat(opts.db, job, opts.workerId, leaseMs).catch(() => {});
    }, Math.max(1000, leaseMs / 3));
    try {
      const handler = opts.handlers[job.kind];
      if (!handler) throw new PermanentJobError(`no handler for job kind ${job.kind}`);
      await handler(job, abort.signal);
      await complete(opts.db, job);
    } catch (err) {
      if (abort.signal.aborted) {
        // Shutting down: hand the job back untouched; the next server resumes its steps.
        await release(opts.db, job).catch(() => {});
        return;
      }
      const e = err as { message?: string; retryable?: boolean; retryAfterMs?: number };
      const outcome = await fail(opts.db, job, e?.message ?? String(err), { retryable: e?.retryable, retryAfterMs: e?.retryAfterMs }).catch(
        () => 'retry' as const,
      );
      opts.onError?.(job, err, outcome);
    } finally {
      clearInterval(beat);
    }
  }

  async function loop(): Promise<void> {
    if (looping || stopped) return;
    looping = true;
    try {
      while (!stopped && running.size < concurrency) {
        const job = await claim(opts.db, opts.dialect, opts.workerId, leaseMs);
        if (!job) break;
        const p = runJob(job).finally(() => {
          running.delete(p);
          schedule(0);
        });
        running.add(p);
      }
    } catch {
      // The store is unreachable for a moment: the next tick tries again.
    } finally {
      looping = false;
      schedule(pollMs);
    }
  }

  function schedule(ms: number) {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void loop(), ms);
  }

  schedule(0);
  return {
    nudge: () => schedule(0),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await Promise.allSettled([...running]);
    },
  };
}
