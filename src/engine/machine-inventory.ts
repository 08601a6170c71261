/**
 * What each provider holds and whose each machine is (rules: machine-ownership.ts), for
 * `GET /v1/providers/machines`. Read-only: the reconciler acts on the same rules, this only
 * shows them, so a user can see leaked machines — ours waiting for the grace period, and
 * another installation's that nobody here will remove.
 *
 * Providers are listed in parallel, each bounded by a timeout; one that fails or does not
 * answer becomes a listing with its error (secrets masked) and the others are still shown.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../store/types.js';
import { allLiveMachines } from '../store/machines.js';
import { deploymentNames } from '../store/deployments.js';
import type { Machine, Provider } from '../providers/types.js';
import { maskSecrets } from '../providers/check-all.js';
import { withTimeout } from '../lib/timeout.js';
import { classifyMachine, ownershipOf, type MachineClass } from './machine-ownership.js';

export interface InventoryDeps {
  db: Kysely<DB>;
  providers: Map<string, Provider>;
  /** The control plane's installation id (EngineContext.installationId). */
  installationId?: string;
  /** Per-provider list timeout (default 20 s). */
  timeoutMs?: number;
  /** Values no error message may contain. */
  secretValues?: string[];
}

export interface ProviderListing {
  provider: string;
  ok: boolean;
  /** Why the provider could not be listed (one line, no secret). */
  error?: string;
  /** Machines it listed. */
  count: number;
  ms: number;
}

export interface InventoryEntry {
  provider: string;
  machine: Machine;
  class: MachineClass;
  /** owned: its row's deployment; otherwise the machine's deployment tag, if any. */
  deploymentId?: string;
  /** That deployment in this store (destroyed ones too), when it is there. */
  deployment?: { name: string; status: string };
  /** foreign: the installation the machine carries. */
  installation?: string;
}

export interface Inventory {
  installationId?: string;
  listings: ProviderListing[];
  machines: InventoryEntry[];
}

/** `only`: one provider's name (the caller has checked that it is configured). */
export async function machineInventory(deps: InventoryDeps, only?: string): Promise<Inventory> {
  const providers = [...deps.providers.values()].filter((p) => only === undefined || p.name === only);
  const secrets = deps.secretValues ?? [];
  // Rows are read before and after listing, and a machine counts as owned if either read
  // says so: a row marked destroyed while we listed, or a machine created while we listed
  // (its row is written before the cloud is called), is then not shown as an orphan.
  const before = await allLiveMachines(deps.db);
  const listed = await Promise.all(
    providers.map(async (p) => {
      const started = Date.now();
      try {
        const machines = await withTimeout(p.list(), deps.timeoutMs ?? 20_000);
        return { listing: { provider: p.name, ok: true, count: machines.length, ms: Date.now() - started }, machines };
      } catch (err) {
        const error = maskSecrets(`listing failed: ${(err as Error)?.message ?? String(err)}`.split('\n')[0]!, secrets);
        return { listing: { provider: p.name, ok: false, error, count: 0, ms: Date.now() - started }, machines: [] as Machine[] };
      }
    }),
  );
  const ownership = ownershipOf([...before, ...(await allLiveMachines(deps.db))]);

  const machines: InventoryEntry[] = [];
  for (const { listing, machines: list } of listed) {
    for (const m of list) {
      const found = classifyMachine(listing.provider, m, ownership, deps.installationId);
      const deploymentId = found.class === 'owned' ? found.row.deployment_id : found.deploymentId;
      machines.push({
        provider: listing.provider,
        machine: m,
        class: found.class,
        ...(deploymentId ? { deploymentId } : {}),
        ...(found.class === 'foreign' ? { installation: found.installation } : {}),
      });
    }
  }
  const ids = [...new Set(machines.flatMap((e) => (e.deploymentId ? [e.deploymentId] : [])))];
  const known = new Map((await deploymentNames(deps.db, ids)).map((d) => [d.id, { name: d.name, status: d.status }]));
  for (const e of machines) {
    const d = e.deploymentId ? known.get(e.deploymentId) : undefined;
    if (d) e.deployment = d;
  }
  return { ...(deps.installationId ? { installationId: deps.installationId } : {}), listings: listed.map((l) => l.listing), machines };
}
