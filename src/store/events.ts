/** The append-only event log of each deployment. */
import type { Kysely, Transaction } from 'kysely';
import type { DB, EventRow } from './types.js';

export interface NewEvent {
  deploymentId: string;
  at: number;
  type: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  message?: string | null;
  data?: unknown;
}

export async function appendEvent(db: Kysely<DB> | Transaction<DB>, e: NewEvent): Promise<void> {
  await db
    .insertInto('events')
    .values({
      deployment_id: e.deploymentId,
      at: e.at,
      type: e.type,
      from_status: e.fromStatus ?? null,
      to_status: e.toStatus ?? null,
      message: e.message ?? null,
      data_json: e.data === undefined ? null : JSON.stringify(e.data),
    })
    .execute();
}

export async function listEvents(db: Kysely<DB>, deploymentId: string, afterId = 0, limit = 500): Promise<EventRow[]> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .where('id', '>', afterId)
    .orderBy('id', 'asc')
    .limit(limit)
    .execute();
}

/** Status transitions of many deployments at once (cost accrual reads these). */
export async function listStatusEvents(db: Kysely<DB>, deploymentIds: string[]): Promise<EventRow[]> {
  if (deploymentIds.length === 0) return [];
  return db
    .selectFrom('events')
    .selectAll()
    .where('type', '=', 'status')
    .where('deployment_id', 'in', deploymentIds)
    .orderBy('id', 'asc')
    .execute();
}

export interface AgentStage {
  stage: string;
  message: string | null;
  at: number;
}

/**
 * The data of the latest `agent` event of one kind (its message starts `stage ` or
 * `heartbeat`) recorded at or after `since` (epoch ms), with its time; null when none.
 */
export async function latestAgentEvent(db: Kysely<DB>, deploymentId: string, kind: 'stage' | 'heartbeat', since = 0): Promise<{ at: number; data: Record<string, unknown> } | null> {
  const row = await db
    .selectFrom('events')
    .select(['at', 'data_json'])
    .where('deployment_id', '=', deploymentId)
    .where('type', '=', 'agent')
    .where('message', 'like', `${kind}%`)
    .where('at', '>=', since)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.data_json ? { at: Number(row.at), data: JSON.parse(row.data_json) as Record<string, unknown> } : null;
}

/**
 * The latest stage a deployment's on-host agent reported at or after `since` (epoch ms),
 * or null. Wait-ready reads it: a machine whose bootstrap failed will never answer.
 */
export async function latestAgentStage(db: Kysely<DB>, deploymentId: string, since: number): Promise<AgentStage | null> {
  const e = await latestAgentEvent(db, deploymentId, 'stage', since);
  const data = e?.data as { stage?: string; message?: string } | undefined;
  return e && data?.stage ? { stage: data.stage, message: data.message ?? null, at: e.at } : null;
}
