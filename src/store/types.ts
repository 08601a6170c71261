/**
 * The database schema as Kysely sees it. Same tables on SQLite and PostgreSQL;
 * every time is an integer of epoch milliseconds (bigint on PostgreSQL, parsed to number).
 *
 * Glossary:
 *  - deployments: what users asked for; `desired_state` is the wish, `status` the truth.
 *  - machines: what a provider holds for a deployment; the row (with its idempotency
 *    key) is written BEFORE the cloud is called, so a crash never makes a second one.
 *  - events: append-only history; one per status transition, plus notes.
 *  - jobs: the durable queue (claimed with a lease; retried with backoff; dead at last).
 *  - steps: which steps of a job are done, so a resumed job skips them.
 *  - leases: singleton loops (reconciler, monitors) across replicas.
 *  - api_keys: gateway keys, stored as SHA-256 hashes with a short public prefix.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export type DeploymentStatus =
  | 'queued'
  | 'provisioning'
  | 'booting'
  | 'ready'
  | 'stopping'
  | 'stopped'
  | 'starting'
  | 'destroying'
  | 'destroyed'
  | 'failed';

export type DesiredState = 'running' | 'stopped' | 'deleted';

export interface DeploymentsTable {
  id: string;
  name: string;
  kind: string;
  owner: string;
  spec_json: string;
  base_dir: string | null;
  provider: string | null;
  region: string | null;
  instance_type: string | null;
  /** The planned offer's hourly price: compute plus the disk (PlannedOffer.hourlyUsd). */
  price_per_hour: number | null;
  /** Disk size the price assumes, GB (migration 0002; null on older rows). */
  disk_gb: number | null;
  /** The offer's disk price, USD per GB-month (null: unknown, billed as 0). */
  disk_usd_per_gb_month: number | null;
  desired_state: DesiredState;
  status: DeploymentStatus;
  status_reason: string | null;
  endpoint: string | null;
  port: number | null;
  /** Encrypted (see lib/secret-box.ts); injected by the gateway, never returned by the API. */
  upstream_secret: string | null;
  /** SHA-256 of the on-host agent's token. */
  agent_token_hash: string | null;
  /** PEM of the certificate issued to a cloud machine's key proxy (migration 0003); the probe and the gateway pin it. */
  tls_cert: string | null;
  /** Increments on every fresh provisioning; part of the machine's idempotency key. */
  generation: number;
  created_at: number;
  updated_at: number;
  ready_at: number | null;
  last_activity_at: number | null;
  expires_at: number | null;
  destroyed_at: number | null;
}

export interface MachinesTable {
  id: string;
  deployment_id: string;
  provider: string;
  provider_id: string | null;
  region: string;
  instance_type: string;
  idempotency_key: string;
  /** intent → created → destroyed */
  state: 'intent' | 'created' | 'destroyed';
  endpoint: string | null;
  details_json: string | null;
  created_at: number;
  updated_at: number;
  destroyed_at: number | null;
}

export interface EventsTable {
  id: Generated<number>;
  deployment_id: string;
  at: number;
  /** 'status' for transitions; 'step', 'note', 'agent', 'budget', 'orphan' otherwise. */
  type: string;
  from_status: string | null;
  to_status: string | null;
  message: string | null;
  data_json: string | null;
}

export type JobStatus = 'pending' | 'running' | 'done' | 'dead';

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  deployment_id: string | null;
  payload_json: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface StepsTable {
  job_id: number;
  name: string;
  deployment_id: string | null;
  status: 'running' | 'done';
  started_at: number;
  finished_at: number | null;
  data_json: string | null;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface ApiKeysTable {
  id: string;
  prefix: string;
  hash: string;
  name: string | null;
  deployment_id: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface DB {
  deployments: DeploymentsTable;
  machines: MachinesTable;
  events: EventsTable;
  jobs: JobsTable;
  steps: StepsTable;
  leases: LeasesTable;
  api_keys: ApiKeysTable;
}

export type Deployment = Selectable<DeploymentsTable>;
export type NewDeployment = Insertable<DeploymentsTable>;
export type DeploymentUpdate = Updateable<DeploymentsTable>;
export type MachineRow = Selectable<MachinesTable>;
export type EventRow = Selectable<EventsTable>;
export type JobRow = Selectable<JobsTable>;
export type StepRow = Selectable<StepsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
