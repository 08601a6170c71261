/** REST endpoints for deployments: the ones the CLI, the SDK and the dashboard use. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { parseSpec } from '../../spec/parse.js';
import { SpecError } from '../../spec/errors.js';
import { Spec } from '../../spec/schema.js';
import type { Spec as SpecT } from '../../spec/schema.js';
import { listDeploymentColumns } from '../../store/deployments.js';
import { listEvents } from '../../store/events.js';
import { liveMachines } from '../../store/machines.js';
import { canLogs } from '../../providers/types.js';
import { PROVIDER_NAMES } from '../../spec/check.js';
import type { ApiDeps } from '../server.js';
import { ApiError } from '../errors.js';
import { DeploymentView, EventView, VIEW_COLUMNS, deploymentView, eventView } from '../views.js';
import { deploymentListJsonSqlite } from '../views-sql.js';

const Name = Type.Object({ name: Type.String() });
const SubmitBody = Type.Object(
  {
    yaml: Type.Optional(Type.String({ description: 'aloft.yaml text' })),
    spec: Type.Optional(Spec),
    file: Type.Optional(Type.String({ description: 'File name, for error messages' })),
    base_dir: Type.Optional(Type.String({ description: 'Directory relative paths in the spec resolve against' })),
    provider: Type.Optional(Type.String({ description: 'Place only on this provider (replaces placement.providers); it must be configured' })),
    region: Type.Optional(Type.String({ description: 'Place only in this region or region glob (replaces placement.regions)' })),
  },
  { additionalProperties: false },
);
const Reason = Type.Object({ reason: Type.Optional(Type.String()) }, { additionalProperties: false });

export function specFromBody(body: { yaml?: string; spec?: SpecT; file?: string; base_dir?: string }): SpecT {
  if (body.spec) return body.spec;
  if (typeof body.yaml !== 'string') throw new ApiError(400, 'invalid_request', 'send the spec as `yaml` (text) or `spec` (object)');
  try {
    return parseSpec(body.yaml, { file: body.file, baseDir: body.base_dir });
  } catch (err) {
    if (err instanceof SpecError) throw new ApiError(400, 'invalid_spec', err.message);
    throw err;
  }
}

type Body = { yaml?: string; spec?: SpecT; file?: string; base_dir?: string; provider?: string; region?: string };

/**
 * `aloft up --provider P --region R`: narrows the spec's placement to that provider and
 * region. The provider must be one this server has configured (credentials present).
 */
export function applyPlacementOverride(spec: SpecT, body: Pick<Body, 'provider' | 'region'>, configured: Iterable<string>): SpecT {
  if (body.provider === undefined && body.region === undefined) return spec;
  const names = [...configured];
  if (body.provider !== undefined) {
    const known = (PROVIDER_NAMES as readonly string[]).includes(body.provider);
    if (!known) throw new ApiError(400, 'unknown_provider', `unknown provider "${body.provider}"; configured providers: ${names.join(', ')}`);
    if (!names.includes(body.provider)) {
      throw new ApiError(400, 'provider_not_configured', `provider ${body.provider} is not configured on this server; configured providers: ${names.join(', ')}`);
    }
  }
  if (body.region !== undefined && !/^[A-Za-z0-9*?._-]{1,64}$/.test(body.region)) throw new ApiError(400, 'invalid_request', `region "${body.region}" is not a region name`);
  const placement = { ...(spec.placement ?? {}) };
  if (body.provider !== undefined) placement.providers = [body.provider];
  if (body.region !== undefined) placement.regions = [body.region];
  return { ...spec, placement } as SpecT;
}

export async function deploymentRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { engine, store } = deps;
  const view = (d: Parameters<typeof deploymentView>[0]) => deploymentView(d, deps.gatewayUrl());

  app.post('/v1/deployments', { schema: { body: SubmitBody, response: { 201: DeploymentView } } }, async (req, reply) => {
    const body = req.body as Body;
    const spec = applyPlacementOverride(specFromBody(body), body, deps.providers.keys());
    const dep = await engine.submit({ spec, baseDir: body.base_dir ?? null, owner: deps.owner(req) });
    return reply.status(201).send(view(dep));
  });

  app.post('/v1/plan', { schema: { body: SubmitBody } }, async (req) => {
    const body = req.body as Body;
    const spec = applyPlacementOverride(specFromBody(body), body, deps.providers.keys());
    const offers = await deps.plan(spec);
    return { name: spec.name, offers };
  });

  // The list can hold 10,000 rows: SQLite renders the JSON itself (views-sql.ts); elsewhere
  // plain JSON.stringify, ~3x faster than the schema-driven serializer here (deploymentView
  // already builds each object field by field, with no secret).
  app.get('/v1/deployments', { serializerCompiler: () => (data) => JSON.stringify(data), schema: { querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }), response: { 200: Type.Array(DeploymentView) } } }, async (req, reply) => {
    const { all } = req.query as { all?: boolean };
    if (store.dialect === 'sqlite') {
      return reply.type('application/json; charset=utf-8').send(await deploymentListJsonSqlite(store.db, { includeDestroyed: all, gatewayUrl: deps.gatewayUrl() }));
    }
    return (await listDeploymentColumns(store.db, VIEW_COLUMNS, { includeDestroyed: all })).map(view);
  });

  app.get('/v1/deployments/:name', { schema: { params: Name, response: { 200: DeploymentView } } }, async (req) => view(await engine.get((req.params as { name: string }).name)));

  app.get(
    '/v1/deployments/:name/events',
    { schema: { params: Name, querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })) }), response: { 200: Type.Array(EventView) } } },
    async (req) => {
      const dep = await engine.get((req.params as { name: string }).name);
      return (await listEvents(store.db, dep.id, (req.query as { after?: number }).after ?? 0)).map(eventView);
    },
  );

  app.post('/v1/deployments/:name/stop', { schema: { params: Name, body: Type.Optional(Reason), response: { 202: DeploymentView } } }, async (req, reply) =>
    reply.status(202).send(view(await engine.requestStop((req.params as { name: string }).name, (req.body as { reason?: string } | undefined)?.reason))),
  );
  app.post('/v1/deployments/:name/start', { schema: { params: Name, body: Type.Optional(Reason), response: { 202: DeploymentView } } }, async (req, reply) =>
    reply.status(202).send(view(await engine.requestStart((req.params as { name: string }).name, (req.body as { reason?: string } | undefined)?.reason))),
  );
  app.delete('/v1/deployments/:name', { schema: { params: Name, response: { 202: DeploymentView } } }, async (req, reply) =>
    reply.status(202).send(view(await engine.requestDestroy((req.params as { name: string }).name, 'down'))),
  );

  app.get(
    '/v1/deployments/:name/logs',
    { schema: { params: Name, querystring: Type.Object({ tail: Type.Optional(Type.Integer({ minimum: 0 })), follow: Type.Optional(Type.Boolean()) }) } },
    async (req, reply) => {
      const dep = await engine.get((req.params as { name: string }).name);
      const { tail, follow } = req.query as { tail?: number; follow?: boolean };
      const row = (await liveMachines(store.db, dep.id)).find((m) => m.provider_id);
      if (!row) throw new ApiError(404, 'no_machine', `${dep.name} has no machine (status ${dep.status})`);
      const provider = deps.providers.get(row.provider);
      if (!provider || !canLogs(provider)) throw new ApiError(501, 'no_logs', `provider ${row.provider} does not offer logs`);
      const abort = new AbortController();
      req.raw.on('close', () => abort.abort());
      reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      try {
        for await (const line of provider.logs({ provider: row.provider, id: row.provider_id!, region: row.region }, { tail: tail ?? 100, follow: !!follow, signal: abort.signal })) {
          if (!reply.raw.write(line + '\n')) await new Promise((r) => reply.raw.once('drain', r));
        }
      } catch (err) {
        if (!abort.signal.aborted) reply.raw.write(`error: ${(err as Error).message}\n`);
      }
      reply.raw.end();
      return reply;
    },
  );
}
