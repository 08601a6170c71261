/** What the engine reads off a spec to run and probe its workload. */
import { resolve } from 'node:path';
import type { Spec } from '../spec/schema.js';
import { resolveLifecycle, type ResolvedLifecycle } from '../spec/defaults.js';

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

/** The lifecycle in milliseconds, with its defaults (the spec module owns them). */
export type LifecyclePolicy = ResolvedLifecycle;
export const lifecycleOf = (spec: Spec): LifecyclePolicy => resolveLifecycle(spec);
