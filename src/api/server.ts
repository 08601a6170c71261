/**
 * The REST API (Fastify). Every route but /healthz and the agent callbacks needs the
 * control plane's admin token (Bearer), kept in the data directory with mode 0600.
 * The OpenAPI document, built from the same TypeBox schemas, is at /openapi.json.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Engine } from '../engine/engine.js';
import type { Store } from '../store/db.js';
import type { Provider } from '../providers/types.js';
import type { Spec } from '../spec/schema.js';
import type { PlannedOffer } from '../catalog/types.js';
import { tokenMatches } from '../lib/tokens.js';
import { errorHandler } from './errors.js';
import { deploymentRoutes } from './routes/deployments.js';
import { providerRoutes } from './routes/providers.js';
import { providerMachineRoutes } from './routes/provider-machines.js';
import { costRoutes } from './routes/cost.js';

export interface ApiDeps {
  engine: Engine;
  store: Store;
  providers: Map<string, Provider>;
  plan(spec: Spec): Promise<PlannedOffer[]>;
  /** SHA-256 of the admin token. */
  adminTokenHash: string;
  version: string;
  gatewayUrl(): string | null;
  owner(req: FastifyRequest): string;
  /** Extra route plugins (gateway keys, agent callbacks, metrics) registered by the server. */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
  logger?: boolean | object;
  /** Values (credentials from the environment) that no answer may contain. */
  secretValues?: string[];
  /** Timeout of each provider's check or listing in GET /v1/providers and /v1/providers/machines. */
  providerCheckTimeoutMs?: number;
  /** This control plane's installation id (EngineContext.installationId), to class listed machines. */
  installationId?: string;
  /** The clock for cost windows (tests pin it); default Date.now. */
  now?(): number;
}

const OPEN_PATHS = [/^\/healthz$/, /^\/openapi\.json$/, /^\/v1\/agent\//, /^\/metrics$/];

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 1024 * 1024 });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));

  const swagger = (await import('@fastify/swagger')).default;
  await app.register(swagger, {
    openapi: { info: { title: 'Aloft control plane API', version: deps.version }, components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }, security: [{ bearer: [] }] },
  });

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (OPEN_PATHS.some((re) => re.test(path))) return;
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token || !tokenMatches(token, deps.adminTokenHash)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="aloft"')
        .send({ error: { code: 'unauthorized', message: 'missing or invalid admin token (see ALOFT_HOME/token)' } });
    }
  });

  app.get('/healthz', async () => ({ ok: true, version: deps.version }));
  app.get('/openapi.json', async () => app.swagger());
  await app.register(async (scope) => deploymentRoutes(scope, deps));
  await app.register(providerRoutes({ providers: deps.providers, secretValues: deps.secretValues, checkTimeoutMs: deps.providerCheckTimeoutMs }));
  await app.register(
    providerMachineRoutes({ db: deps.store.db, providers: deps.providers, installationId: deps.installationId, timeoutMs: deps.providerCheckTimeoutMs, secretValues: deps.secretValues }),
  );
  await app.register(async (scope) => costRoutes(scope, deps));
  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  return app;
}
