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
 * The latest stage a deployment's on-host agent reported at or after `since` (epoch ms),
 * or null. Wait-ready reads it: a machine whose bootstrap failed will never answer.
 */
export async function latestAgentStage(db: Kysely<DB>, deploymentId: string, since: number): Promise<AgentStage | null> {
  const row = await db
    .selectFrom('events')
    .select(['at', 'data_json'])
    .where('deployment_id', '=', deploymentId)
    .where('type', '=', 'agent')
    .where('message', 'like', 'stage %')
    .where('at', '>=', since)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row?.data_json) return null;
  const data = JSON.parse(row.data_json) as { stage?: string; message?: string };
  return data.stage ? { stage: data.stage, message: data.message ?? null, at: row.at } : null;
}
