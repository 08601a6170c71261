/**
 * The real engine (store, queue worker, jobs, reconciler loops) with one cloud provider pointed
 * at its double: what `aloft server` composes, minus the API. The AWS and Exoscale end-to-end
 * tests use it in-process, and as a child process for their SIGKILL tests (spawnHarnessChild
 * starts one, runHarnessMain runs in it: the two ends of the ALOFT_E2E_* variables).
 * The Exoscale and Hetzner tests that drive it through jobs alone (e2e-exoscale, e2e-hetzner
 * and the Hetzner crash child) pass their own lease and no loops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { openStore, type Store } from '../../src/store/db.js';
import { startWorker, type Worker } from '../../src/queue/worker.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { startLoops } from '../../src/engine/loops.js';
import type { EngineContext } from '../../src/engine/context.js';
import { secretBoxFromKey } from '../../src/lib/secret-box.js';
import type { PlannedOffer } from '../../src/catalog/types.js';
import type { Provider } from '../../src/providers/types.js';
import type { Spec } from '../../src/spec/schema.js';

export interface EngineHarness {
  engine: Engine;
  ctx: EngineContext;
  store: Store;
  close(): Promise<void>;
}

export interface HarnessOptions {
  dbUrl: string;
  provider: Provider;
  offers: PlannedOffer[];
  masterKey: Buffer;
  renderUserData: EngineContext['renderUserData'];
  /** The worker's job lease; 4000 ms unless a test needs its own (see below). */
  leaseMs?: number;
  /** false: no reconciler or monitor loops, only the job worker drives deployments. */
  loops?: boolean;
}

export async function startEngineHarness(opts: HarnessOptions): Promise<EngineHarness> {
  const store = await openStore({ url: opts.dbUrl });
  const ctx: EngineContext = {
    store,
    providers: new Map<string, Provider>([[opts.provider.name, opts.provider]]),
    plan: async () => opts.offers,
    renderUserData: opts.renderUserData,
    secrets: secretBoxFromKey(opts.masterKey),
    log: pino({ level: process.env.ALOFT_E2E_LOG ?? 'silent' }),
    now: Date.now,
    readyTimeoutMs: 30_000,
    pollMs: 50,
    orphanGraceMs: 60 * 60_000,
  };
  const engine = createEngine(ctx);
  const holder = `e2e-${opts.provider.name}-${process.pid}`;
  const worker: Worker = startWorker({
    db: store.db,
    dialect: store.dialect,
    workerId: `${holder}-${randomBytes(3).toString('hex')}`,
    handlers: engine.handlers,
    concurrency: 4,
    // Long enough that a loaded machine renews in time (a lapsed lease runs a job twice), short
    // enough that the SIGKILL tests' restarted control plane reclaims the dead one's job soon.
    leaseMs: opts.leaseMs ?? 4000,
    pollMs: 50,
  });
  ctx.nudge = () => worker.nudge();
  const loops = opts.loops === false ? null : startLoops(ctx, engine, { holder, intervalMs: 200 });
  return {
    engine,
    ctx,
    store,
    async close() {
      await loops?.stop();
      await worker.stop();
      await store.close();
    },
  };
}

/**
 * A helper file run as a child process: ALOFT_E2E_DB, ALOFT_E2E_DOUBLE, ALOFT_E2E_OFFERS,
 * ALOFT_E2E_SPEC and ALOFT_E2E_MASTER_KEY describe the run. Submits the spec unless a
 * deployment of that name exists (`SUBMITTED`, or `RESUMED <status>`), then prints
 * `READY <endpoint>` and exits 0 once it is ready (`FAILED <reason>` and exit 1 if it fails).
 */
export function runHarnessMain(moduleUrl: string, start: (o: Pick<HarnessOptions, 'dbUrl' | 'offers' | 'masterKey'> & { doubleUrl: string }) => Promise<EngineHarness>): void {
  if (!process.argv[1] || moduleUrl !== new URL(`file://${process.argv[1]}`).href) return;
  const env = process.env;
  const main = async (): Promise<number> => {
    const spec = JSON.parse(env.ALOFT_E2E_SPEC!) as Spec;
    const e = await start({
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
  };
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}

export interface HarnessRun {
  dbPath: string;
  doubleUrl: string;
  offers: PlannedOffer[];
  spec: Spec;
  masterKey: Buffer;
}

export interface HarnessChild {
  c: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** stdout and stderr so far. */
  out(): string;
}

/**
 * Starts `helperPath` (a file that calls runHarnessMain) as a child process with the run in
 * the ALOFT_E2E_* variables runHarnessMain reads. `onCleanup` receives a hook that kills the
 * child if it still runs, for the test's teardown.
 */
export function spawnHarnessChild(helperPath: string, run: HarnessRun, onCleanup: (kill: () => void) => void): HarnessChild {
  const env = {
    ...process.env,
    NODE_NO_WARNINGS: '1',
    ALOFT_E2E_DB: run.dbPath,
    ALOFT_E2E_DOUBLE: run.doubleUrl,
    ALOFT_E2E_OFFERS: JSON.stringify(run.offers),
    ALOFT_E2E_SPEC: JSON.stringify(run.spec),
    ALOFT_E2E_MASTER_KEY: run.masterKey.toString('base64'),
  };
  const c = spawn(process.execPath, ['--import', 'tsx', helperPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  c.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => c.on('exit', (code) => r(code)));
  onCleanup(() => void (c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));
  return { c, exited, out: () => out };
}
