/** What the engine reads off a spec to run and probe its workload. */
import { resolve } from 'node:path';
import type { Spec } from '../spec/schema.js';
import { parseDuration } from '../spec/duration.js';

export interface Workload {
  /** The port the spec asks for, if any (else one is allocated). */
  port: number | null;
  healthPath: string;
  /** For kind ollama: the model that must be listed before the deployment is ready. */
  model?: string;
  env: Record<string, string>;
  workdir?: string;
}

export function workloadOf(spec: Spec, baseDir: string | null): Workload {
  switch (spec.kind) {
    case 'service':
      return {
        port: spec.port ?? null,
        healthPath: spec.health ?? '/',
        env: spec.env ?? {},
        workdir: resolve(baseDir ?? process.cwd(), spec.workdir ?? '.'),
      };
    case 'ollama':
      return { port: spec.port ?? null, healthPath: '/api/tags', model: spec.model, env: spec.env ?? {} };
    case 'app':
      return { port: spec.port ?? null, healthPath: spec.health ?? '/', env: spec.env ?? {} };
    case 'devbox':
      return { port: null, healthPath: '/', env: {} };
  }
}

export interface LifecyclePolicy {
  idleTimeoutMs: number | null;
  onIdle: 'stop' | 'destroy';
  ttlMs: number | null;
  wakeOnRequest: boolean;
  wakeTimeoutMs: number;
}

export function lifecycleOf(spec: Spec): LifecyclePolicy {
  const l = spec.lifecycle ?? {};
  return {
    idleTimeoutMs: l.idle_timeout === undefined ? null : parseDuration(l.idle_timeout),
    onIdle: l.on_idle ?? 'stop',
    ttlMs: l.ttl === undefined ? null : parseDuration(l.ttl),
    wakeOnRequest: l.wake_on_request ?? (spec.kind === 'ollama' || spec.kind === 'service'),
    wakeTimeoutMs: l.wake_timeout === undefined ? 5 * 60_000 : parseDuration(l.wake_timeout),
  };
}
