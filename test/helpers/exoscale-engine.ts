/**
 * The real engine (store, queue worker, jobs, reconciler loops) with the Exoscale provider
 * pointed at the Exoscale API double — what `aloft server` composes, minus the API. Used
 * in-process by test/e2e-exoscale-crash.test.ts, and as a child process (run this file) for
 * its SIGKILL test:
 *
 *   ALOFT_E2E_DB=<sqlite file> ALOFT_E2E_DOUBLE=<url> ALOFT_E2E_OFFERS=<json> \
 *   ALOFT_E2E_SPEC=<json> ALOFT_E2E_MASTER_KEY=<base64> node --import tsx test/helpers/exoscale-engine.ts
 *
 * submits the spec unless a deployment of that name exists, then prints `READY <endpoint>`
 * once it is ready and exits 0 (`FAILED <reason>` and exit 1 if it fails).
 */
import { tlsComment } from './tls-stand-in.js';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { openStore, type Store } from '../../src/store/db.js';
import { startWorker, type Worker } from '../../src/queue/worker.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { startLoops } from '../../src/engine/loops.js';
import type { EngineContext } from '../../src/engine/context.js';
import { secretBoxFromKey } from '../../src/lib/secret-box.js';
import { createExoscaleProvider } from '../../src/providers/exoscale/index.js';
import type { PlannedOffer } from '../../src/catalog/types.js';
import type { Provider } from '../../src/providers/types.js';
import type { Spec } from '../../src/spec/schema.js';

/** The API key the double is started with (test-only, not a secret). */
export const EXO_TEST_KEY = 'EXOcrash000000000000000000';
export const EXO_TEST_SECRET = 'crash-test-secret';

export interface ExoscaleEngine {
  engine: Engine;
  ctx: EngineContext;
  store: Store;
  close(): Promise<void>;
}

/** A planned Exoscale offer (the catalog rows are not needed: the plan is fixed). */
export function exoOffer(instanceType: string, gpu: PlannedOffer['gpu'], price: number, region = 'ch-gva-2'): PlannedOffer {
  return { provider: 'exoscale', region, instanceType, gpu, vcpus: 8, memoryGb: 56, arch: 'x86_64', pricePerHour: price, spot: false, hourlyUsd: price, monthlyUsd: price * 730 };
}

export async function startExoscaleEngine(opts: { dbUrl: string; doubleUrl: string; offers: PlannedOffer[]; masterKey: Buffer }): Promise<ExoscaleEngine> {
  const store = await openStore({ url: opts.dbUrl });
  const exo = createExoscaleProvider({
    key: EXO_TEST_KEY,
    secret: EXO_TEST_SECRET,
    zone: opts.offers[0]?.region ?? 'ch-gva-2',
    endpoint: opts.doubleUrl,
    timeoutMs: 60_000,
    operationPollMs: 10,
    operationTimeoutMs: 10_000,
  });
  const ctx: EngineContext = {
    store,
    providers: new Map<string, Provider>([['exoscale', exo]]),
    plan: async () => opts.offers,
    renderUserData: async (i) => `#cloud-config\n# aloft deployment ${i.deployment.id} (${i.spec.kind}) on ${i.offer.instanceType}\n${tlsComment(i.tls)}`,
    secrets: secretBoxFromKey(opts.masterKey),
    log: pino({ level: process.env.ALOFT_E2E_LOG ?? 'silent' }),
    now: Date.now,
    readyTimeoutMs: 30_000,
    pollMs: 50,
    orphanGraceMs: 60 * 60_000,
  };
  const engine = createEngine(ctx);
  const worker: Worker = startWorker({
    db: store.db,
    dialect: store.dialect,
    workerId: `e2e-exo-${process.pid}-${randomBytes(3).toString('hex')}`,
    handlers: engine.handlers,
    concurrency: 4,
    // Long enough that a loaded machine renews in time, short enough that the restarted
    // control plane of the SIGKILL test reclaims the dead one's job soon.
    leaseMs: 4000,
    pollMs: 50,
  });
  ctx.nudge = () => worker.nudge();
  const loops = startLoops(ctx, engine, { holder: `e2e-exo-${process.pid}`, intervalMs: 200 });
  return {
    engine,
    ctx,
    store,
    async close() {
      await loops.stop();
      await worker.stop();
      await store.close();
    },
  };
}

async function main(): Promise<number> {
  const env = process.env;
  const spec = JSON.parse(env.ALOFT_E2E_SPEC!) as Spec;
  const e = await startExoscaleEngine({
    dbUrl: env.ALOFT_E2E_DB!,
    doubleUrl: env.ALOFT_E2E_DOUBLE!,
    offers: JSON.parse(env.ALOFT_E2E_OFFERS!) as PlannedOffer[],
    masterKey: Buffer.from(env.ALOFT_E2E_MASTER_KEY!, 'base64'),
  });
  const existing = await e.engine.get(spec.name).catch(() => null);
  if (!existing) await e.engine.submit({ spec, baseDir: null, owner: 'e2e' });
  process.stdout.write(existing ? `RESUMED ${existing.status}\n` : 'SUBMITTED\n');
  let code = 0;
  for (;;) {
    const d = await e.engine.get(spec.name);
    if (d.status === 'ready') {
      process.stdout.write(`READY ${d.endpoint}\n`);
      break;
    }
    if (d.status === 'failed') {
      process.stdout.write(`FAILED ${d.status_reason}\n`);
      code = 1;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await e.close();
  return code;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
