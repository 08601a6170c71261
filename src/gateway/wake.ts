/**
 * Wake-on-request. A request for a deployment that is not ready is held while the
 * engine starts it. Concurrent requests share one wake (single flight): one
 * `requestWake`, one polling loop on `resolve`, whatever the number of waiters.
 * Each waiter gives up after its deployment's wake timeout (→ 503 + Retry-After) or
 * when its client goes away.
 */
import type { DeploymentStatus, GatewayBackend, RouteTarget } from './types.js';

export type WakeResult =
  | { ok: true; target: RouteTarget }
  | { ok: false; reason: 'timeout' | 'failed' | 'gone' | 'aborted'; message: string };

export interface WakeCoordinator {
  /** Starts the wake if none is running and waits for the deployment to be ready. */
  wait(target: RouteTarget, signal?: AbortSignal): Promise<WakeResult>;
  /** Starts the wake if none is running, without waiting (the browser page). */
  kick(target: RouteTarget): void;
  /** Deployments being woken now. */
  inFlight(): number;
}

export interface WakeOptions {
  backend: Pick<GatewayBackend, 'resolve' | 'requestWake'>;
  /** First poll interval; it doubles up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
  onWake?: (target: RouteTarget) => void;
  onError?: (err: unknown) => void;
}

/** Statuses where the engine is already bringing the deployment up: wait, do not ask. */
const COMING_UP: ReadonlySet<DeploymentStatus> = new Set(['queued', 'provisioning', 'booting', 'starting']);
/** Statuses that need a start. */
const DOWN: ReadonlySet<DeploymentStatus> = new Set(['stopped', 'stopping']);

export function isWakeable(status: DeploymentStatus): boolean {
  return COMING_UP.has(status) || DOWN.has(status);
}

interface Flight {
  deadline: number;
  /** Requests held on this flight; polling stops when none is left. */
  waiters: number;
  done: Promise<WakeResult>;
}

export function createWakeCoordinator(opts: WakeOptions): WakeCoordinator {
  const pollMs = opts.pollMs ?? 200;
  const maxPollMs = opts.maxPollMs ?? 1000;
  const flights = new Map<string, Flight>();

  function start(target: RouteTarget, deadline: number): Flight {
    const existing = flights.get(target.deploymentId);
    if (existing) {
      existing.deadline = Math.max(existing.deadline, deadline);
      return existing;
    }
    const flight: Flight = { deadline, waiters: 0, done: null as unknown as Promise<WakeResult> };
    flight.done = run(target, flight).finally(() => flights.delete(target.deploymentId));
    flights.set(target.deploymentId, flight);
    return flight;
  }

  async function run(first: RouteTarget, flight: Flight): Promise<WakeResult> {
    if (DOWN.has(first.status)) {
      opts.onWake?.(first);
      try {
        await opts.backend.requestWake(first.deploymentId);
      } catch (err) {
        opts.onError?.(err);
        return { ok: false, reason: 'failed', message: `Could not start ${first.name}` };
      }
    }
    let interval = pollMs;
    while (Date.now() < flight.deadline) {
      await sleep(Math.min(interval, Math.max(1, flight.deadline - Date.now())));
      interval = Math.min(maxPollMs, interval * 2);
      // Nobody waits (all clients left, or only a browser page kicked it): the engine carries on alone.
      if (flight.waiters === 0) return { ok: false, reason: 'aborted', message: 'nobody waits' };
      let t: RouteTarget | null;
      try {
        t = await opts.backend.resolve(first.name);
      } catch (err) {
        opts.onError?.(err);
        continue;
      }
      if (!t || t.deploymentId !== first.deploymentId || t.status === 'destroyed' || t.status === 'destroying') {
        return { ok: false, reason: 'gone', message: `${first.name} no longer exists` };
      }
      if (t.status === 'ready' && t.upstreamUrl) return { ok: true, target: t };
      if (t.status === 'failed') return { ok: false, reason: 'failed', message: `${first.name} failed to start` };
    }
    return { ok: false, reason: 'timeout', message: `${first.name} is still starting` };
  }

  return {
    wait(target, signal) {
      const flight = start(target, Date.now() + target.wakeTimeoutMs);
      flight.waiters++;
      return new Promise<WakeResult>((resolve) => {
        let settled = false;
        const finish = (r: WakeResult) => {
          if (settled) return;
          settled = true;
          flight.waiters--;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const onAbort = () => finish({ ok: false, reason: 'aborted', message: 'client went away' });
        const timer = setTimeout(
          () => finish({ ok: false, reason: 'timeout', message: `${target.name} is still starting` }),
          target.wakeTimeoutMs,
        );
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        flight.done.then(finish);
      });
    },
    kick(target) {
      start(target, Date.now() + target.wakeTimeoutMs);
    },
    inFlight: () => flights.size,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
