/**
 * Checks every configured provider (credentials, known quota) with a timeout each, and
 * lists the cloud providers Aloft ships but has no credentials for, with what to set.
 * Used by GET /v1/providers and by `aloft providers check` when no server runs. No row
 * carries a secret: providers write their messages not to, and any value of a secret
 * variable is masked here anyway.
 */
import type { Provider } from './types.js';
import { withTimeout } from '../lib/timeout.js';

/** The cloud providers Aloft ships, and what enables each. */
export const PROVIDER_SETUP: Readonly<Record<string, string>> = {
  aws: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and AWS_REGION',
  hetzner: 'set HCLOUD_TOKEN',
  exoscale: 'set EXOSCALE_API_KEY and EXOSCALE_API_SECRET (and EXOSCALE_ZONE)',
};

export interface ProviderCheckRow {
  provider: string;
  configured: boolean;
  ok: boolean;
  message: string;
  quota?: Record<string, number | string>;
  ms?: number;
}

export interface CheckProvidersOptions {
  providers: Map<string, Provider>;
  /** Per-provider check timeout (default 20 s). */
  checkTimeoutMs?: number;
  /** Values that must never appear in an answer (the server's secrets). */
  secretValues?: string[];
}

/** Replaces every secret value (6+ characters) in `s` with `***`. */
export function maskSecrets(s: string, secrets: string[]): string {
  let out = s;
  for (const v of secrets) if (v.length >= 6) out = out.split(v).join('***');
  return out;
}

async function checkOne(p: Provider, timeoutMs: number): Promise<Omit<ProviderCheckRow, 'provider' | 'configured'>> {
  const started = Date.now();
  try {
    const r = await withTimeout(p.check(), timeoutMs);
    return { ok: r.ok, message: r.message, ...(r.quota ? { quota: r.quota } : {}), ms: Date.now() - started };
  } catch (err) {
    return { ok: false, message: `check failed: ${(err as Error)?.message ?? String(err)}`, ms: Date.now() - started };
  }
}

/** Checks every configured provider (in parallel) and lists the unconfigured known ones. */
export async function checkProviders(deps: CheckProvidersOptions, only?: string): Promise<ProviderCheckRow[]> {
  const names = [...new Set([...deps.providers.keys(), ...Object.keys(PROVIDER_SETUP)])].filter((n) => !only || n === only);
  const secrets = deps.secretValues ?? [];
  const rows = await Promise.all(
    names.map(async (name): Promise<ProviderCheckRow> => {
      const p = deps.providers.get(name);
      if (!p) return { provider: name, configured: false, ok: false, message: `not configured: ${PROVIDER_SETUP[name] ?? 'no credentials'}` };
      const r = await checkOne(p, deps.checkTimeoutMs ?? 20_000);
      const quota = r.quota ? Object.fromEntries(Object.entries(r.quota).map(([k, v]) => [k, typeof v === 'string' ? maskSecrets(v, secrets) : v])) : undefined;
      return { provider: name, configured: true, ...r, message: maskSecrets(r.message.split('\n')[0] ?? '', secrets), ...(quota ? { quota } : {}) };
    }),
  );
  return rows;
}

/** The values of the environment's credential variables, for maskSecrets. */
export function secretValuesOf(env: NodeJS.ProcessEnv): string[] {
  return ['HCLOUD_TOKEN', 'EXOSCALE_API_SECRET', 'EXOSCALE_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'ALOFT_MASTER_KEY']
    .map((k) => env[k]?.trim() ?? '')
    .filter((v) => v.length > 0);
}
