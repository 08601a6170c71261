/**
 * The real engine (store, queue worker, jobs, reconciler loops) with the AWS provider pointed
 * at the EC2 double — what `aloft server` composes, minus the API. Used in-process by
 * test/e2e-aws.test.ts, and as a child process (run this file) for the SIGKILL test:
 *
 *   ALOFT_E2E_DB=<sqlite file> ALOFT_E2E_DOUBLE=<url> ALOFT_E2E_OFFERS=<json> \
 *   ALOFT_E2E_SPEC=<json> node --import tsx test/helpers/aws-engine.ts
 *
 * submits the spec unless a deployment of that name exists, then prints `READY <endpoint>`
 * once it is ready and exits.
 */
import { tlsComment } from './tls-stand-in.js';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { openStore, type Store } from '../../src/store/db.js';
import { startWorker, type Worker } from '../../src/queue/worker.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { startLoops } from '../../src/engine/loops.js';
import type { EngineContext, UserDataInput } from '../../src/engine/context.js';
import { secretBoxFromKey } from '../../src/lib/secret-box.js';
import { createAwsProvider } from '../../src/providers/aws/index.js';
import { awsOffers } from '../../src/providers/aws/catalog.js';
import type { PlannedOffer } from '../../src/catalog/types.js';
import type { Provider } from '../../src/providers/types.js';
import type { Spec } from '../../src/spec/schema.js';
import { TEST_KEY } from '../doubles/ec2-double.js';

export interface AwsEngine {
  engine: Engine;
  ctx: EngineContext;
  store: Store;
  close(): Promise<void>;
}

/** Planned offers for these instance types, in this order, from the real AWS catalog. */
export function plannedOffers(region: string, types: string[]): PlannedOffer[] {
  const all = awsOffers({ regions: [region] });
  return types.map((t) => {
    const o = all.find((x) => x.instanceType === t);
    if (!o) throw new Error(`no catalog row for ${t}`);
    return { ...o, spot: false, hourlyUsd: o.pricePerHour, monthlyUsd: o.pricePerHour * 730 };
  });
}

/** What the bootstrap module will render; enough for the double to check it arrived intact. */
export async function renderUserData(i: UserDataInput): Promise<string> {
  return [
    '#cloud-config',
    `# aloft deployment ${i.deployment.id} (${i.spec.kind}) on ${i.offer.instanceType}`,
    'write_files:',
    '  - path: /etc/aloft/proxy.env',
    "    permissions: '0600'",
    `    content: "ALOFT_PORT=${i.port}\\nALOFT_UPSTREAM_SECRET=${i.upstreamSecret}\\n"`,
    tlsComment(i.tls),
  ].join('\n');
}

export async function startAwsEngine(opts: { dbUrl: string; doubleUrl: string; offers: PlannedOffer[]; masterKey: Buffer }): Promise<AwsEngine> {
  const store = await openStore({ url: opts.dbUrl });
  const aws = createAwsProvider({
    region: opts.offers[0]?.region ?? 'us-east-1',
    endpoint: opts.doubleUrl,
    credentials: TEST_KEY,
    maxAttempts: 1,
    sgDeleteAttempts: 2,
    sgDeleteDelayMs: 100,
    requestTimeoutMs: 10_000,
  });
  const ctx: EngineContext = {
    store,
    providers: new Map<string, Provider>([['aws', aws]]),
    plan: async () => opts.offers,
    renderUserData,
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
    workerId: `e2e-${process.pid}-${randomBytes(3).toString('hex')}`,
    handlers: engine.handlers,
    concurrency: 4,
    // Long enough that a loaded machine renews in time (a lapsed lease runs a job twice), short
    // enough that the SIGKILL test's restarted worker reclaims the job soon.
    leaseMs: 4000,
    pollMs: 50,
  });
  ctx.nudge = () => worker.nudge();
  const loops = startLoops(ctx, engine, { holder: `e2e-${process.pid}`, intervalMs: 200 });
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

async function main(): Promise<void> {
  const env = process.env;
  const spec = JSON.parse(env.ALOFT_E2E_SPEC!) as Spec;
  const e = await startAwsEngine({
    dbUrl: env.ALOFT_E2E_DB!,
    doubleUrl: env.ALOFT_E2E_DOUBLE!,
    offers: JSON.parse(env.ALOFT_E2E_OFFERS!) as PlannedOffer[],
    masterKey: Buffer.from(env.ALOFT_E2E_MASTER_KEY!, 'base64'),
  });
  const existing = await e.engine.get(spec.name).catch(() => null);
  if (!existing) await e.engine.submit({ spec, baseDir: null, owner: 'e2e' });
  process.stdout.write('SUBMITTED\n');
  for (;;) {
    const d = await e.engine.get(spec.name);
    if (d.status === 'ready') {
      process.stdout.write(`READY ${d.endpoint}\n`);
      break;
    }
    if (d.status === 'failed') {
      process.stdout.write(`FAILED ${d.status_reason}\n`);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await e.close();
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
