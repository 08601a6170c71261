/** What the API returns for a deployment: never its secrets. */
import { Type, type Static } from '@sinclair/typebox';
import type { Deployment, EventRow } from '../store/types.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
// `type: [x, 'null']` rather than anyOf: Fastify's serializer (fast-json-stringify) runs a
// schema check per value to pick an anyOf branch, which made listing 10,000 deployments slow.
const Nullable = (_t: ReturnType<typeof Type.String>) => Type.Unsafe<string | null>({ type: ['string', 'null'] });
const NullableNumber = () => Type.Unsafe<number | null>({ type: ['number', 'null'] });

export const DeploymentView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  owner: Type.String(),
  provider: Nullable(Type.String()),
  region: Nullable(Type.String()),
  instance_type: Nullable(Type.String()),
  status: Type.String(),
  desired_state: Type.String(),
  status_reason: Nullable(Type.String()),
  endpoint: Nullable(Type.String()),
  url: Nullable(Type.String()),
  price_per_hour: NullableNumber(),
  created_at: Type.String(),
  updated_at: Type.String(),
  ready_at: Nullable(Type.String()),
  expires_at: Nullable(Type.String()),
  last_activity_at: Nullable(Type.String()),
});
export type DeploymentView = Static<typeof DeploymentView>;

/** The columns a view reads (the list endpoint selects only these). */
export const VIEW_COLUMNS = [
  'id', 'name', 'kind', 'owner', 'provider', 'region', 'instance_type', 'status', 'desired_state', 'status_reason',
  'endpoint', 'price_per_hour', 'created_at', 'updated_at', 'ready_at', 'expires_at', 'last_activity_at', 'spec_json',
] as const;
export type ViewRow = Pick<Deployment, (typeof VIEW_COLUMNS)[number]>;

export function deploymentView(d: ViewRow, gatewayUrl?: string | null): DeploymentView {
  const live = d.status !== 'destroyed' && d.status !== 'failed';
  // access.gateway: false keeps a deployment off the gateway: no gateway URL for it. spec_json
  // is JSON.stringify of the validated spec, whose only "gateway" key is access.gateway (a
  // string value holding the same text would be escaped), so a substring test is exact and
  // spares parsing 10,000 specs when listing.
  const viaGateway = !d.spec_json.includes('"gateway":false');
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
    owner: d.owner,
    provider: d.provider,
    region: d.region,
    instance_type: d.instance_type,
    status: d.status,
    desired_state: d.desired_state,
    status_reason: d.status_reason,
    endpoint: d.endpoint,
    url: gatewayUrl && live && viaGateway ? `${gatewayUrl.replace(/\/$/, '')}/d/${d.name}/` : null,
    price_per_hour: d.price_per_hour,
    created_at: iso(d.created_at)!,
    updated_at: iso(d.updated_at)!,
    ready_at: iso(d.ready_at),
    expires_at: iso(d.expires_at),
    last_activity_at: iso(d.last_activity_at),
  };
}

export const EventView = Type.Object({
  id: Type.Number(),
  at: Type.String(),
  at_ms: Type.Number(),
  type: Type.String(),
  from_status: Nullable(Type.String()),
  to_status: Nullable(Type.String()),
  message: Nullable(Type.String()),
  data: Type.Unknown(),
});
export type EventView = Static<typeof EventView>;

export function eventView(e: EventRow): EventView {
  return {
    id: Number(e.id),
    at: iso(e.at)!,
    at_ms: e.at,
    type: e.type,
    from_status: e.from_status,
    to_status: e.to_status,
    message: e.message,
    data: e.data_json ? JSON.parse(e.data_json) : null,
  };
}
