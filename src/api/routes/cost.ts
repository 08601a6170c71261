/**
 * GET /v1/cost?since=30d&by=deployment|provider|user — accrued cost over a window, from
 * each deployment's status events (compute while it runs, the disk while it is stopped).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { parseSince, type CostRow } from '../../catalog/cost-report.js';
import { loadCostReport } from '../../engine/cost.js';
import type { ApiDeps } from '../server.js';
import { ApiError } from '../errors.js';

const GROUPS = ['deployment', 'provider', 'user'] as const;

const CostQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ description: 'Window: a duration back from now, like 30d, 12h, 2w (default 30d)' })),
    by: Type.Optional(Type.Union(GROUPS.map((g) => Type.Literal(g)), { description: 'Group rows by (default deployment)' })),
  },
  { additionalProperties: false },
);

export const CostRowView = Type.Object({
  key: Type.String(),
  deployments: Type.Integer(),
  running_hours: Type.Number(),
  stopped_hours: Type.Number(),
  compute_usd: Type.Number(),
  disk_usd: Type.Number(),
  total_usd: Type.Number(),
});

export const CostView = Type.Object({
  since: Type.String(),
  now: Type.String(),
  by: Type.String(),
  rows: Type.Array(CostRowView),
  total: CostRowView,
});
export type CostView = Static<typeof CostView>;

const rowView = (r: CostRow): Static<typeof CostRowView> => ({
  key: r.key,
  deployments: r.deployments,
  running_hours: r.runningHours,
  stopped_hours: r.stoppedHours,
  compute_usd: r.computeUsd,
  disk_usd: r.diskUsd,
  total_usd: r.totalUsd,
});

export async function costRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/v1/cost', { schema: { querystring: CostQuery, response: { 200: CostView } } }, async (req) => {
    const q = req.query as Static<typeof CostQuery>;
    let windowMs: number;
    try {
      windowMs = parseSince(q.since ?? '30d');
    } catch (err) {
      throw new ApiError(400, 'invalid_request', (err as Error).message);
    }
    const now = deps.now?.() ?? Date.now();
    const report = await loadCostReport(deps.store.db, { since: now - windowMs, by: q.by ?? 'deployment', now });
    return {
      since: new Date(report.since).toISOString(),
      now: new Date(report.now).toISOString(),
      by: report.by,
      rows: report.rows.map(rowView),
      total: rowView(report.total),
    };
  });
}
