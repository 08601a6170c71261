/**
 * GET /v1/providers/machines[?name=]: every machine each configured provider lists, and
 * how this control plane classes it (engine/machine-ownership.ts): owned, pending,
 * orphan (destroyed by the reconciler after its grace period) or foreign (another
 * installation's: left alone here). A provider that fails or does not answer in time is a
 * listing with `ok: false` and its error; the request still succeeds. Machine details and
 * tags are not returned: they are the provider's business, and may say more than needed.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { machineInventory, type InventoryDeps, type InventoryEntry } from '../../engine/machine-inventory.js';
import { ApiError } from '../errors.js';

const NullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

export const ProviderMachineView = Type.Object({
  provider: Type.String(),
  id: Type.String({ description: "The provider's own id" }),
  region: Type.String(),
  instance_type: Type.String(),
  state: Type.String({ description: 'pending, running, stopping, stopped or unknown' }),
  class: Type.Union([Type.Literal('owned'), Type.Literal('pending'), Type.Literal('orphan'), Type.Literal('foreign')], {
    description:
      "owned: a live deployment holds it; pending: its deployment is creating it; orphan: ours, no live deployment holds it (destroyed after the grace period); foreign: another installation's (left alone)",
  }),
  deployment_id: NullableString("owned: its deployment; otherwise the machine's aloft-deployment tag"),
  deployment: NullableString("That deployment's name in this store, when known"),
  deployment_status: NullableString("That deployment's status in this store, when known"),
  installation: NullableString('foreign only: the installation id the machine carries'),
  created_at: NullableString('When the provider created it (ISO 8601), when it says'),
});
export type ProviderMachineView = Static<typeof ProviderMachineView>;

export const ProviderListingView = Type.Object({
  provider: Type.String(),
  ok: Type.Boolean(),
  error: Type.Optional(Type.String({ description: 'Why it could not be listed; never a secret' })),
  machines: Type.Integer({ description: 'How many machines it listed' }),
  ms: Type.Integer({ description: 'How long the listing took' }),
});

export const ProviderMachinesView = Type.Object({
  installation: NullableString("This control plane's installation id (the aloft-installation tag of the machines it creates)"),
  providers: Type.Array(ProviderListingView),
  machines: Type.Array(ProviderMachineView),
});
export type ProviderMachinesView = Static<typeof ProviderMachinesView>;

function machineView(e: InventoryEntry): ProviderMachineView {
  const m = e.machine;
  return {
    provider: e.provider,
    id: m.id,
    region: m.region,
    instance_type: m.instanceType,
    state: m.state,
    class: e.class,
    deployment_id: e.deploymentId ?? null,
    deployment: e.deployment?.name ?? null,
    deployment_status: e.deployment?.status ?? null,
    installation: e.installation ?? null,
    created_at: Number.isFinite(m.createdAt) && m.createdAt > 0 ? new Date(m.createdAt).toISOString() : null,
  };
}

export function providerMachineRoutes(deps: InventoryDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/v1/providers/machines',
      { schema: { querystring: Type.Object({ name: Type.Optional(Type.String()) }), response: { 200: ProviderMachinesView } } },
      async (req): Promise<ProviderMachinesView> => {
        const { name } = req.query as { name?: string };
        if (name !== undefined && !deps.providers.has(name)) {
          throw new ApiError(404, 'unknown_provider', `provider "${name}" is not configured on this control plane; configured providers: ${[...deps.providers.keys()].join(', ')}`);
        }
        const inv = await machineInventory(deps, name);
        return {
          installation: inv.installationId ?? null,
          providers: inv.listings.map((l) => ({ provider: l.provider, ok: l.ok, ...(l.error ? { error: l.error } : {}), machines: l.count, ms: l.ms })),
          machines: inv.machines.map(machineView),
        };
      },
    );
  };
}
