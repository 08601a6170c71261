/**
 * A control plane in a child process for the Hetzner crash test: the engine harness
 * (engine-harness.ts: SQLite file store, job worker, engine, no reconciler loops) with the
 * Hetzner provider from HCLOUD_TOKEN / HCLOUD_ENDPOINT.
 * ALOFT_E2E_UP=<name> submits examples/ollama-cpu.yaml under that name (unless it exists),
 * ALOFT_E2E_DOWN=<name> asks for its destruction. Prints `status <name> <status> <id>`
 * on every change, and exits 0 once the deployment is `ready` (up) or `destroyed` (down).
 */
import { tlsComment } from './tls-stand-in.js';
import { startEngineHarness } from './engine-harness.js';
import path from 'node:path';
import { fromEnv } from '../../src/providers/hetzner/index.js';
import { loadSpecFile, type Spec } from '../../src/spec/index.js';
import { getDeploymentByName } from '../../src/store/deployments.js';
import type { PlannedOffer } from '../../src/catalog/types.js';

const env = process.env;
const harness = await startEngineHarness({
  dbUrl: env.ALOFT_E2E_DB!,
  provider: fromEnv(env)!,
  offers: JSON.parse(env.ALOFT_E2E_OFFERS!) as PlannedOffer[],
  masterKey: Buffer.from(env.ALOFT_E2E_KEY!, 'hex'),
  renderUserData: async (i) => `#cloud-config\n# aloft deployment ${i.deployment.id}\n${tlsComment(i.tls)}`,
  // Short, so the restarted child reclaims the killed child's job soon after it dies.
  leaseMs: 1500,
  loops: false,
});
const { engine, store } = harness;

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
await harness.close();
process.exit(0);
