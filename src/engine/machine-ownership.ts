/**
 * Whose is a machine that a provider lists? One set of rules, used by the reconciler (which
 * acts on the answer) and by `GET /v1/providers/machines` (which shows it), so what a user
 * sees is what the reconciler will do:
 *  - owned:   a live machine row holds its provider id;
 *  - pending: its deployment tag names a deployment whose machine row has no provider id
 *             yet (create is in flight: the row is written before the cloud is called);
 *  - foreign: it carries another installation's id: that installation's control plane
 *             answers for it, this one leaves it alone;
 *  - orphan:  anything else it lists (ours, or untagged: older than the installation tag):
 *             the reconciler destroys it after the grace period.
 * Pure: the caller reads the rows and lists the providers.
 */
import { TAG_DEPLOYMENT, TAG_INSTALLATION, type Machine } from '../providers/types.js';
import type { MachineRow } from '../store/types.js';

export type MachineClass = 'owned' | 'pending' | 'orphan' | 'foreign';

/** What the live machine rows say about ownership, built once per pass. */
export interface Ownership {
  /** Live rows that have their provider id, by `<provider>/<provider id>`. */
  byKey: Map<string, MachineRow>;
  /** Deployments with a live row still waiting for its provider id. */
  creating: Set<string>;
}

export type Classified =
  | { class: 'owned'; row: MachineRow }
  | { class: 'pending'; deploymentId: string }
  | { class: 'foreign'; installation: string; deploymentId?: string }
  | { class: 'orphan'; deploymentId?: string };

/** The reconciler's (and the listing's) key of a machine: provider names are unique. */
export const machineKey = (provider: string, id: string): string => `${provider}/${id}`;

/** `rows`: the machine rows not yet confirmed gone (store `allLiveMachines`). */
export function ownershipOf(rows: readonly MachineRow[]): Ownership {
  const byKey = new Map<string, MachineRow>();
  const creating = new Set<string>();
  for (const r of rows) {
    if (r.provider_id) byKey.set(machineKey(r.provider, r.provider_id), r);
    else creating.add(r.deployment_id);
  }
  return { byKey, creating };
}

/**
 * `installationId` absent (a control plane without one): every tagged machine counts as
 * this one's, as it did before the installation tag existed.
 */
export function classifyMachine(provider: string, m: Machine, own: Ownership, installationId: string | undefined): Classified {
  const row = own.byKey.get(machineKey(provider, m.id));
  if (row) return { class: 'owned', row };
  const deploymentId = m.tags[TAG_DEPLOYMENT] || undefined;
  if (deploymentId && own.creating.has(deploymentId)) return { class: 'pending', deploymentId };
  const installation = m.tags[TAG_INSTALLATION];
  if (installationId && installation && installation !== installationId) return { class: 'foreign', installation, deploymentId };
  return { class: 'orphan', deploymentId };
}
