/**
 * A control plane in a child process for the Hetzner crash test: SQLite file store,
 * job worker, engine, and the Hetzner provider from HCLOUD_TOKEN / HCLOUD_ENDPOINT.
 * ALOFT_E2E_UP=<name> submits examples/ollama-cpu.yaml under that name (unless it exists),
 * ALOFT_E2E_DOWN=<name> asks for its destruction. Prints `status <name> <status> <id>`
 * on every change, and exits 0 once the deployment is `ready` (up) or `destroyed` (down).
 */
import { tlsComment } from './tls-stand-in.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { fromEnv } from '../../src/providers/hetzner/index.js';
import { loadSpecFile, type Spec } from '../../src/spec/index.js';
import { openStore } from '../../src/store/db.js';
import { createEngine } from '../../src/engine/engine.js';
import type { EngineContext } from '../../src/engine/context.js';
import { startWorker } from '../../src/queue/worker.js';
import { secretBoxFromKey } from '../../src/lib/secret-box.js';
import { getDeploymentByName } from '../../src/store/deployments.js';
import type { PlannedOffer } from '../../src/catalog/types.js';

const env = process.env;
const provider = fromEnv(env)!;
const store = await openStore({ url: env.ALOFT_E2E_DB! });
const offers = JSON.parse(env.ALOFT_E2E_OFFERS!) as PlannedOffer[];
const ctx: EngineContext = {
  store,
  providers: new Map([['hetzner', provider]]),
  plan: async () => offers,
  renderUserData: async (i) => `#cloud-config\n# aloft deployment ${i.deployment.id}\n${tlsComment(i.tls)}`,
  secrets: secretBoxFromKey(Buffer.from(env.ALOFT_E2E_KEY!, 'hex')),
  log: pino({ level: 'silent' }),
  now: Date.now,
  readyTimeoutMs: 30_000,
  pollMs: 50,
  orphanGraceMs: 60_000,
};
const engine = createEngine(ctx);
const worker = startWorker({ db: store.db, dialect: store.dialect, workerId: `child-${randomBytes(3).toString('hex')}`, handlers: engine.handlers, pollMs: 50, leaseMs: 1500 });
ctx.nudge = () => worker.nudge();

const up = env.ALOFT_E2E_UP;
const down = env.ALOFT_E2E_DOWN;
const name = (up ?? down)!;
if (up && !(await getDeploymentByName(store.db, up))) {
  const { spec } = await loadSpecFile(path.resolve(import.meta.dirname, '../../examples/ollama-cpu.yaml'));
  await engine.submit({ spec: { ...spec, name: up, port: Number(env.ALOFT_E2E_PORT) } as Spec, baseDir: null, owner: 'e2e' });
}
if (down) await engine.requestDestroy(down);
const goal = up ? 'ready' : 'destroyed';
let last = '';
for (;;) {
  const d = await getDeploymentByName(store.db, name);
  const line = `status ${name} ${d?.status} ${d?.id}`;
  if (line !== last) console.log((last = line));
  if (d?.status === goal || d?.status === 'failed') break;
  await new Promise((r) => setTimeout(r, 50));
}
await worker.stop();
await store.close();
process.exit(0);
