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
import { loadSecretBox } from '../lib/secret-box.js';
import { hashToken } from '../lib/tokens.js';
import { aloftHome, DEFAULT_API_PORT, paths } from '../lib/paths.js';
import { newId } from '../lib/ids.js';
import { ensureAdminToken } from './admin-token.js';
import { removeServerInfo, writeServerInfo } from './server-info.js';
import { loadProviders } from './providers.js';
import { planOffers } from './planner.js';

export interface ServerOptions {
  home?: string;
  host?: string;
  port?: number;
  databaseUrl?: string;
  version: string;
}

export async function runServer(opts: ServerOptions): Promise<{ close(): Promise<void>; apiUrl: string }> {
  const env = process.env;
  const home = opts.home ?? aloftHome(env);
  const p = paths(home);
  const log = pino({ level: env.ALOFT_LOG_LEVEL ?? 'info', redact: ['*.token', '*.secret', '*.authorization', '*.upstream_secret'] });
  const store = await openStore({ url: opts.databaseUrl ?? env.ALOFT_DATABASE_URL ?? p.db, schema: env.ALOFT_DATABASE_SCHEMA });
  const providers = await loadProviders(env, { home });
  const configured = new Set(providers.keys());
  const plan = (spec: Parameters<typeof planOffers>[0]) => planOffers(spec, configured);
  const holder = `${hostname()}:${process.pid}:${newId('s', 6)}`;

  const ctx: EngineContext = {
    store,
    providers,
    plan,
    secrets: loadSecretBox(p.masterKey, env),
    log,
    now: Date.now,
    readyTimeoutMs: Number(env.ALOFT_READY_TIMEOUT_MS ?? 10 * 60_000),
    pollMs: Number(env.ALOFT_POLL_MS ?? 500),
    orphanGraceMs: Number(env.ALOFT_ORPHAN_GRACE_MS ?? 60_000),
    crashAt: env.ALOFT_CRASH_AT,
  };
  const engine = createEngine(ctx);
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
  const loops = startLoops(ctx, engine, { holder, intervalMs: Number(env.ALOFT_LOOP_MS ?? 2000) });

  const token = ensureAdminToken(p.token);
  const api = await buildApi({
    engine,
    store,
    providers,
    plan,
    adminTokenHash: hashToken(token),
    version: opts.version,
    gatewayUrl: () => null,
    owner: () => env.USER ?? 'local',
  });
  const host = opts.host ?? env.ALOFT_API_HOST ?? '127.0.0.1';
  const port = opts.port ?? Number(env.ALOFT_API_PORT ?? DEFAULT_API_PORT);
  await api.listen({ host, port });
  const addr = api.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const apiUrl = `http://${host}:${actualPort}`;
  writeServerInfo(p.serverInfo, { pid: process.pid, apiUrl, gatewayUrl: null, startedAt: Date.now(), version: opts.version });
  log.info({ apiUrl, store: store.dialect, providers: [...configured] }, 'aloft control plane ready');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await api.close();
      await loops.stop();
      await worker.stop();
      await store.close();
      removeServerInfo(p.serverInfo, process.pid);
    })());
  return { close, apiUrl };
}
