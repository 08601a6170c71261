/**
 * Smoke test of the Hetzner provider against the real API (run by scripts/smoke-hetzner.sh;
 * never in CI). Creates one small server running a tiny HTTP service behind its firewall,
 * waits until it answers, calls it, stops and starts it (and calls it again), snapshots
 * it, attaches a volume, then destroys everything and checks nothing labelled for the
 * smoke deployment is left. Costs about one cent.
 */
import { randomUUID } from 'node:crypto';
import { ProviderError, ThrottledError } from '../src/providers/errors.js';
import { createHetznerProvider } from '../src/providers/hetzner/index.js';
import { aloftTags, type Machine, type MachineState } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';

const token = process.env.HCLOUD_TOKEN?.trim();
if (!token) {
  console.error('HCLOUD_TOKEN is required');
  process.exit(2);
}
const provider = createHetznerProvider({ token, endpoint: process.env.HCLOUD_ENDPOINT || undefined, actionWaitMs: 120_000, destroyWaitMs: 180_000 });
const location = process.env.HCLOUD_SMOKE_LOCATION || 'fsn1';
const type = process.env.HCLOUD_SMOKE_TYPE || 'cx22';
const port = 8080;
const deploymentId = `smoke-${randomUUID().slice(0, 8)}`;
const step = (s: string) => console.log(`[smoke-hetzner] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(m: Machine, state: MachineState, timeoutMs = 600_000): Promise<Machine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await provider.describe(m);
    if (now.state === state) return now;
    if (Date.now() > deadline) throw new Error(`server ${m.id} still ${now.state}, wanted ${state}`);
    await sleep(3000);
  }
}

/** Calls the workload the way the gateway does: plain HTTP to the machine's endpoint. */
async function callWorkload(m: Machine, timeoutMs = 600_000): Promise<string> {
  if (!m.endpoint) throw new Error('machine has no endpoint');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${m.endpoint}/hello.txt`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return (await res.text()).trim();
    } catch {
      /* still booting */
    }
    if (Date.now() > deadline) throw new Error(`${m.endpoint} did not answer`);
    await sleep(5000);
  }
}

const userData = `#cloud-config
write_files:
  - path: /srv/www/hello.txt
    content: "hello from ${deploymentId}\\n"
# bootcmd runs on every boot, so the service comes back after stop/start.
bootcmd:
  - [sh, -c, "mkdir -p /srv/www; (sleep 20; cd /srv/www && nohup python3 -m http.server ${port} >/var/log/smoke-http.log 2>&1 &) &"]
`;

/** A server is locked while an action (a snapshot) runs; the engine retries such calls, so does this. */
async function whenUnlocked(fn: () => Promise<void>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ProviderError) || !err.retryable || Date.now() > deadline) throw err;
      await sleep(err instanceof ThrottledError && err.retryAfterMs ? err.retryAfterMs : 3000);
    }
  }
}

let machine: Machine | undefined;
let snapshotId: string | undefined;
try {
  const check = await provider.check();
  step(`check: ${check.ok ? 'ok' : 'FAILED'} — ${check.message} ${JSON.stringify(check.quota ?? {})}`);
  if (!check.ok) process.exit(1);

  const spec = { kind: 'service', name: 'smoke', command: `python3 -m http.server ${port}`, port } as Spec;
  const req = { deploymentId, name: 'aloft-smoke', spec, offer: { provider: 'hetzner', region: location, instanceType: type }, port, userData, tags: aloftTags(deploymentId) };
  step(`create ${type} in ${location} for ${deploymentId}`);
  machine = await provider.create(req, { idempotencyKey: deploymentId });
  const again = await provider.create(req, { idempotencyKey: deploymentId });
  if (again.id !== machine.id) throw new Error('create is not idempotent');
  machine = await waitFor(machine, 'running');
  step(`running: server ${machine.id}, endpoint ${machine.endpoint}`);
  step(`workload says: ${await callWorkload(machine)}`);

  const vol = await provider.createVolume({ region: location, sizeGb: 10, name: 'smoke-data', tags: aloftTags(deploymentId) }, { idempotencyKey: `${deploymentId}-v` });
  await provider.attachVolume(vol.id, machine);
  step(`volume ${vol.id} attached (destroy removes it)`);

  await provider.stop(machine);
  await waitFor(machine, 'stopped');
  step('stopped');
  const snap = await provider.createSnapshot(machine.id, aloftTags(deploymentId));
  snapshotId = snap.id;
  step(`snapshot ${snap.id}`);
  await whenUnlocked(() => provider.start(machine!));
  machine = await waitFor(machine, 'running');
  step(`started again; workload says: ${await callWorkload(machine)}`);
} catch (err) {
  console.error(`[smoke-hetzner] FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  step('cleaning up');
  if (snapshotId) await provider.deleteSnapshot(snapshotId).catch((e) => console.error(`snapshot cleanup: ${e}`));
  if (machine) await provider.destroy(machine).catch((e) => console.error(`destroy: ${e}`));
  let left = await provider.removeLeftovers(deploymentId);
  for (let i = 0; i < 60 && left.length > 0; i++) {
    await sleep(5000);
    left = await provider.removeLeftovers(deploymentId);
  }
  if (left.length > 0) {
    console.error(`[smoke-hetzner] LEFT BEHIND: ${left.map((x) => `${x.kind} ${x.id}`).join(', ')} — delete them in the Hetzner console`);
    process.exitCode = 1;
  } else step('nothing left behind');
}
