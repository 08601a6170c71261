import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/** The first schema. Integer times are bigint on PostgreSQL (epoch ms overflow int4). */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const serial = (c: any) => c.primaryKey();
  const idType = dialect === 'postgres' ? 'bigserial' : 'integer';
  const real = dialect === 'postgres' ? 'double precision' : 'real';

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('spec_json', 'text', (c) => c.notNull())
    .addColumn('base_dir', 'text')
    .addColumn('provider', 'text')
    .addColumn('region', 'text')
    .addColumn('instance_type', 'text')
    .addColumn('price_per_hour', sql.raw(real))
    .addColumn('desired_state', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('endpoint', 'text')
    .addColumn('port', 'integer')
    .addColumn('upstream_secret', 'text')
    .addColumn('agent_token_hash', 'text')
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('ready_at', sql.raw(ms))
    .addColumn('last_activity_at', sql.raw(ms))
    .addColumn('expires_at', sql.raw(ms))
    .addColumn('destroyed_at', sql.raw(ms))
    .execute();
  // A name is taken only while its deployment is alive; destroyed and failed ones free it.
  await sql`create unique index deployments_live_name on deployments (name) where status not in ('destroyed', 'failed')`.execute(db);
  await db.schema.createIndex('deployments_status').on('deployments').column('status').execute();

  await db.schema
    .createTable('machines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text')
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('instance_type', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text')
    .addColumn('details_json', 'text')
    .addColumn('created_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('destroyed_at', sql.raw(ms))
    .execute();
  await db.schema.createIndex('machines_deployment').on('machines').column('deployment_id').execute();

  await db.schema
    .createTable('events')
    .addColumn('id', sql.raw(idType), (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('at', sql.raw(ms), (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text')
    .addColumn('message', 'text')
    .addColumn('data_json', 'text')
    .execute();
  await db.schema.createIndex('events_deployment').on('events').columns(['deployment_id', 'id']).execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', sql.raw(idType), (c) => (dialect === 'postgres' ? serial(c) : c.primaryKey().autoIncrement()))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', sql.raw(ms))
    .addColumn('last_error', 'text')
    .addColumn('created_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(ms), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_at']).execute();
  await db.schema.createIndex('jobs_deployment').on('jobs').columns(['deployment_id', 'status']).execute();

  await db.schema
    .createTable('steps')
    .addColumn('job_id', sql.raw(dialect === 'postgres' ? 'bigint' : 'integer'), (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('finished_at', sql.raw(ms))
    .addColumn('data_json', 'text')
    .addPrimaryKeyConstraint('steps_pk', ['job_id', 'name'])
    .execute();

  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', sql.raw(ms), (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('prefix', 'text', (c) => c.notNull().unique())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('deployment_id', 'text')
    .addColumn('created_at', sql.raw(ms), (c) => c.notNull())
    .addColumn('expires_at', sql.raw(ms))
    .addColumn('revoked_at', sql.raw(ms))
    .addColumn('last_used_at', sql.raw(ms))
    .execute();
}
