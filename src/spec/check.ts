/**
 * Checks the schema cannot express: the gpu string's grammar, provider names,
 * durations that must be positive, SSH keys, repository URLs, Tailscale key
 * variables. Runs after the schema has passed, so shapes and types are known.
 */
import type { Spec } from './schema.js';
import type { Problem } from './explain.js';
import { parseDuration } from './duration.js';
import { parseGpuRequirement } from './resources.js';
import { classifySshKey } from './ssh-keys.js';
import { nearest } from './suggest.js';

/** Providers a spec may name. A new provider folder adds its name here. */
export const PROVIDER_NAMES = ['local', 'aws', 'gcp', 'exoscale', 'oci', 'hetzner', 'kubernetes', 'ssh'] as const;

const REPOSITORY = /^(?:(?:https?|ssh|git|file):\/\/\S+|[\w.-]+@[\w.-]+:\S+|\.{0,2}\/\S*)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every problem the checks find; the parser reports the one that comes first in the file. */
export function checkSpec(spec: Spec): Problem[] {
  return [...problems(spec)];
}

function* problems(spec: Spec): Generator<Problem> {
  const r = spec.resources;
  if (r?.gpu !== undefined) {
    try {
      parseGpuRequirement(r.gpu);
    } catch (err) {
      yield { segments: ['resources', 'gpu'], target: 'value', reason: (err as Error).message };
    }
  }

  const providers = spec.placement?.providers ?? [];
  for (let i = 0; i < providers.length; i++) {
    const name = providers[i]!;
    if ((PROVIDER_NAMES as readonly string[]).includes(name)) continue;
    const suggestion = nearest(name, PROVIDER_NAMES);
    const reason = suggestion
      ? `unknown provider "${name}"; did you mean "${suggestion}"?`
      : `unknown provider "${name}"; known providers: ${PROVIDER_NAMES.join(', ')}`;
    yield { segments: ['placement', 'providers', i], target: 'value', reason, suggestion };
  }

  const lc = spec.lifecycle ?? {};
  for (const key of ['idle_timeout', 'ttl', 'wake_timeout'] as const) {
    const v = lc[key];
    if (v === undefined) continue;
    if (parseDuration(v) <= 0) {
      const hint = key === 'wake_timeout' ? '' : ` (leave it out for no ${key === 'ttl' ? 'time limit' : 'idle stop'})`;
      yield { segments: ['lifecycle', key], target: 'value', reason: `must be longer than 0${hint}` };
    }
  }

  const ts = spec.access?.tailscale;
  if (ts && !ENV_NAME.test(ts.auth_key_env)) {
    // Someone pasted the key itself: say so without repeating it.
    const reason = ts.auth_key_env.startsWith('tskey-')
      ? 'give the name of an environment variable that holds the auth key, not the key itself'
      : 'expected the name of an environment variable (letters, digits and _), e.g. TS_AUTHKEY';
    yield { segments: ['access', 'tailscale', 'auth_key_env'], target: 'value', reason };
  }

  if (spec.kind === 'devbox') {
    for (let i = 0; i < spec.ssh_keys.length; i++) {
      const c = classifySshKey(spec.ssh_keys[i]!);
      if (c.type === 'invalid') yield { segments: ['ssh_keys', i], target: 'value', reason: c.reason };
    }
  }

  if (spec.kind === 'app' && !REPOSITORY.test(spec.repository)) {
    yield {
      segments: ['repository'],
      target: 'value',
      reason: `"${spec.repository}" is not a repository; expected a git URL (https://github.com/org/repo.git, git@host:org/repo.git) or a local path (./app)`,
    };
  }
}
