/**
 * `aloft server`: the control plane in one process — store, job worker, engine loops
 * (reconciler, idle and expiry monitors), REST API. It writes server.json so the CLI can
 * find it, and on SIGTERM stops taking jobs and exits; machines keep running and are
 * adopted by the next server.
 */
import { hostname } from 'node:os';
import pino from 'pino';
import { openStore } from '../store/db.js';
import { startWorker } from '../queue/worker.js';
import { createEngine } from '../engine/engine.js';
import { startLoops } from '../engine/loops.js';
import type { EngineContext } from '../engine/context.js';
import { buildApi } from '../api/server.js';
import { loadSecretBox, type SecretBox } from '../lib/secret-box.js';
import { hashToken } from '../lib/tokens.js';
import { aloftHome, DEFAULT_API_PORT, paths } from '../lib/paths.js';
import { newId } from '../lib/ids.js';
import { ensureAdminToken } from './admin-token.js';
import { removeServerInfo, writeServerInfo } from './server-info.js';
import { loadProviders } from './providers.js';
import { secretValuesOf } from '../providers/check-all.js';
import { planOffers, regionLimits } from './planner.js';
import { createGateway } from '../gateway/server.js';
import { createStoreGatewayBackend } from './gateway-backend.js';
import { gatewaySettings, type GatewayFlags } from './gateway-config.js';
import { keyRoutes } from '../api/routes/keys.js';
import { metricsRoute } from '../api/routes/metrics.js';
import { loadConfig } from './config.js';
import { agentRoutes } from '../api/routes/agent.js';
import { agentCallbackDeps, renderUserDataHook } from './bootstrap-binding.js';

export interface ServerOptions {
  home?: string;
  host?: string;
  port?: number;
  databaseUrl?: string;
  version: string;
  /** Gateway flags (over ALOFT_GATEWAY_* variables). */
  gateway?: GatewayFlags;
}

export async function runServer(opts: ServerOptions): Promise<{ close(): Promise<void>; apiUrl: string; gatewayUrl: string }> {
  const env = process.env;
  const home = opts.home ?? aloftHome(env);
  const p = paths(home);
  // A bad config.yaml stops the server before anything starts (one line: file and field).
  const config = loadConfig(home);
  const secrets = loadSecretBox(p.masterKey, env);
  const installation = installationId(env, secrets);
  const log = pino({ level: env.ALOFT_LOG_LEVEL ?? 'info', redact: ['*.token', '*.secret', '*.authorization', '*.upstream_secret'] });
  const store = await openStore({ url: opts.databaseUrl ?? env.ALOFT_DATABASE_URL ?? p.db, schema: env.ALOFT_DATABASE_SCHEMA });
  const providers = await loadProviders(env, { home });
  const configured = new Set(providers.keys());
  const limits = regionLimits(providers);
  const plan = (spec: Parameters<typeof planOffers>[0]) => planOffers(spec, configured, limits);
  // The URL a machine's agent reports to (ALOFT_PUBLIC_URL, else the API's): known once the
  // API listens; a job that renders user-data before then waits for it.
  let setControlPlaneUrl!: (url: string) => void;
  const controlPlaneUrl = new Promise<string>((r) => (setControlPlaneUrl = r));
  const holder = `${hostname()}:${process.pid}:${newId('s', 6)}`;

  const ctx: EngineContext = {
    store,
    providers,
    plan,
    secrets,
    log,
    now: Date.now,
    readyTimeoutMs: Number(env.ALOFT_READY_TIMEOUT_MS ?? 10 * 60_000),
    pollMs: Number(env.ALOFT_POLL_MS ?? 500),
    orphanGraceMs: Number(env.ALOFT_ORPHAN_GRACE_MS ?? 60_000),
    orphanScanMs: Number(env.ALOFT_ORPHAN_SCAN_MS ?? 30_000),
    installationId: installation,
    crashAt: env.ALOFT_CRASH_AT,
    budgets: config.budgets,
    // Cloud machines boot with cloud-init from bootstrap/; the local provider gets none.
    renderUserData: renderUserDataHook({ controlPlaneUrl: () => controlPlaneUrl, env, log }),
  };
  const engine = createEngine(ctx);

  // The gateway: the only door to deployments (DESIGN.md "Reaching a deployment").
  const gatewayBackend = createStoreGatewayBackend({ db: store.db, engine, secrets: ctx.secrets });
  const gateway = createGateway({
    ...gatewaySettings(env, home, opts.gateway),
    backend: gatewayBackend,
    onError: (err) => log.warn({ err: (err as Error).message }, 'gateway'),
  });
  let gatewayUrl: string;
  try {
    ({ url: gatewayUrl } = await gateway.listen());
  } catch (err) {
    await store.close();
    throw new Error(`the gateway cannot listen: ${(err as Error).message} (set ALOFT_GATEWAY_PORT or --gateway-port)`);
  }

  const worker = startWorker({
    db: store.db,
    dialect: store.dialect,
    workerId: holder,
    handlers: engine.handlers,
    concurrency: Number(env.ALOFT_WORKER_CONCURRENCY ?? 8),
    leaseMs: Number(env.ALOFT_JOB_LEASE_MS ?? 15_000),
    onError: (job, err, outcome) => log.warn({ job: job.id, kind: job.kind, outcome, err: (err as Error).message }, 'job failed'),
  });
  ctx.nudge = () => worker.nudge();

  // Open streams and unflushed requests keep a deployment from being idle.
  const loops = startLoops(ctx, engine, { holder, intervalMs: Number(env.ALOFT_LOOP_MS ?? 2000), isActive: (id) => gateway.activity.isActive(id) });

  const token = ensureAdminToken(p.token);
  const api = await buildApi({
    engine,
    store,
    providers,
    plan,
    adminTokenHash: hashToken(token),
    version: opts.version,
    gatewayUrl: () => gatewayUrl,
    plugins: [keyRoutes(store.db, { onChange: (prefix) => gatewayBackend.forgetKey(prefix) }), metricsRoute([gateway.metrics.registry]), async (app) => agentRoutes(app, agentCallbackDeps(store.db))],
    owner: () => env.USER ?? 'local',
    secretValues: secretValuesOf(env),
    providerCheckTimeoutMs: Number(env.ALOFT_PROVIDER_CHECK_MS ?? 20_000),
    installationId: installation,
  });
  const host = opts.host ?? env.ALOFT_API_HOST ?? '127.0.0.1';
  const port = opts.port ?? Number(env.ALOFT_API_PORT ?? DEFAULT_API_PORT);
  await api.listen({ host, port });
  const addr = api.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const apiUrl = `http://${host}:${actualPort}`;
  setControlPlaneUrl(env.ALOFT_PUBLIC_URL?.replace(/\/+$/, '') || apiUrl);
  writeServerInfo(p.serverInfo, { pid: process.pid, apiUrl, gatewayUrl, startedAt: Date.now(), version: opts.version });
  log.info({ apiUrl, gatewayUrl, store: store.dialect, providers: [...configured] }, 'aloft control plane ready');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await api.close();
      await gateway.close();
      await loops.stop();
      await worker.stop();
      await store.close();
      removeServerInfo(p.serverInfo, process.pid);
    })());
  return { close, apiUrl, gatewayUrl };
}

/**
 * Tagged on every machine (providers/types.ts TAG_INSTALLATION): ALOFT_INSTALLATION_ID, else
 * derived from the master key so replicas sharing a store agree. It must be a valid tag or
 * label value on every cloud (Hetzner's rules are the strictest).
 */
function installationId(env: NodeJS.ProcessEnv, secrets: SecretBox): string {
  const given = env.ALOFT_INSTALLATION_ID;
  if (!given) return secrets.derive('installation');
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(given)) {
    throw new Error(`ALOFT_INSTALLATION_ID takes letters, digits and inner dashes (at most 63), not ${JSON.stringify(given)}`);
  }
  return given;
}
