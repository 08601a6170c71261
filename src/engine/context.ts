/**
 * What the engine needs from the outside, injected by the server (composition root),
 * so tests can hand it fakes and the engine never imports a concrete provider.
 */
import type { Logger } from 'pino';
import type { Provider } from '../providers/types.js';
import type { Store } from '../store/db.js';
import type { SecretBox } from '../lib/secret-box.js';
import type { Spec } from '../spec/schema.js';
import type { PlannedOffer } from '../catalog/types.js';
import type { Deployment } from '../store/types.js';
import type { BudgetsConfig } from '../catalog/budget.js';

export interface UserDataInput {
  spec: Spec;
  deployment: Deployment;
  offer: PlannedOffer;
  port: number;
  upstreamSecret: string;
  agentToken: string;
  /** The certificate the control plane issued to this machine's key proxy (cloud offers only). */
  tls?: { certPem: string; keyPem: string };
}

export interface EngineContext {
  store: Store;
  providers: Map<string, Provider>;
  /** Offers that fit, cheapest first (the catalog's planner). Throws a one-line error if none. */
  plan(spec: Spec): Promise<PlannedOffer[]>;
  /** cloud-init user-data for VM providers (bootstrap/); absent for local-only setups. */
  renderUserData?(input: UserDataInput): Promise<string | undefined>;
  secrets: SecretBox;
  log: Logger;
  now(): number;
  /** How long to wait for a machine to become healthy. */
  readyTimeoutMs: number;
  /** Poll interval while waiting on a provider. */
  pollMs: number;
  /** Grace before an orphan machine is destroyed. */
  orphanGraceMs: number;
  /** How often the reconciler lists every provider's machines looking for orphans (default 30 s). */
  orphanScanMs?: number;
  /**
   * This installation's id, tagged on every machine it creates (TAG_INSTALLATION). The
   * reconciler leaves machines of another installation alone; untagged ones (made before
   * the tag existed) count as its own. Absent: every tagged machine counts as its own.
   */
  installationId?: string;
  /** Test-only fault injection: SIGKILL the control plane at a named point. */
  crashAt?: string;
  /** Tells the worker a job is waiting (skips its poll delay). */
  nudge?(): void;
  /** Monthly budgets from ALOFT_HOME/config.yaml; absent: no budget is enforced. */
  budgets?: BudgetsConfig;
}

export function providerFor(ctx: EngineContext, name: string): Provider {
  const p = ctx.providers.get(name);
  if (!p) throw new Error(`provider ${name} is not configured`);
  return p;
}
