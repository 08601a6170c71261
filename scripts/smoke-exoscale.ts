/**
 * Smoke test of the Exoscale provider against the real API (run by scripts/smoke-exoscale.sh;
 * never in CI). Creates one small instance with its security group and a 10 GB volume,
 * waits for it, stops and starts it, snapshots it, then removes everything and checks
 * that nothing tagged for the smoke deployment is left. Costs a few cents.
 */
import { randomUUID } from 'node:crypto';
import { fromEnv } from '../src/providers/exoscale/index.js';
import { aloftTags, type Machine, type MachineState } from '../src/providers/types.js';
import type { Spec } from '../src/spec/schema.js';

const provider = fromEnv(process.env, { operationTimeoutMs: 300_000 });
if (!provider) {
  console.error('EXOSCALE_API_KEY and EXOSCALE_API_SECRET are required');
  process.exit(2);
}
const zone = process.env.EXOSCALE_ZONE || 'ch-gva-2';
const type = process.env.EXOSCALE_SMOKE_TYPE || 'standard.micro';
const deploymentId = `smoke-${randomUUID().slice(0, 8)}`;
const step = (s: string) => console.log(`[smoke-exoscale] ${s}`);

async function waitFor(m: Machine, state: MachineState, timeoutMs = 600_000): Promise<Machine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await provider!.describe(m);
    if (now.state === state) return now;
    if (Date.now() > deadline) throw new Error(`machine ${m.id} still ${now.state}, wanted ${state}`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

let machine: Machine | undefined;
let volumeId: string | undefined;
let snapshotId: string | undefined;
try {
  const check = await provider.check();
  step(`check: ${check.ok ? 'ok' : 'FAILED'} — ${check.message}`);
  if (!check.ok) process.exit(1);
  step(`quota: ${JSON.stringify(check.quota)}`);

  step(`create ${type} in ${zone} for ${deploymentId}`);
  const spec = { kind: 'service', name: 'smoke', command: 'python3 -m http.server 8080', port: 8080 } as Spec;
  machine = await provider.create(
    {
      deploymentId,
      name: 'aloft-smoke',
      spec,
      offer: { provider: 'exoscale', region: zone, instanceType: type },
      port: 8080,
      userData: '#cloud-config\nruncmd:\n  - [sh, -c, "cd /tmp && nohup python3 -m http.server 8080 >/dev/null 2>&1 &"]\n',
      diskGb: 10,
      tags: aloftTags(deploymentId),
    },
    { idempotencyKey: deploymentId },
  );
  const again = await provider.create(
    { deploymentId, name: 'aloft-smoke', spec, offer: { provider: 'exoscale', region: zone, instanceType: type }, port: 8080, tags: aloftTags(deploymentId) },
    { idempotencyKey: deploymentId },
  );
  if (again.id !== machine.id) throw new Error('create is not idempotent');
  machine = await waitFor(machine, 'running');
  step(`running: ${machine.id} endpoint ${machine.endpoint}`);

  const vol = await provider.createVolume({ region: zone, sizeGb: 10, name: `${deploymentId}-data`, tags: aloftTags(deploymentId) }, { idempotencyKey: `${deploymentId}-v` });
  volumeId = vol.id;
  await provider.attachVolume(vol.id, machine);
  step(`volume ${vol.id} attached`);
  await provider.detachVolume(vol.id);

  await provider.stop(machine);
  await waitFor(machine, 'stopped');
  step('stopped');
  const snap = await provider.createSnapshot(machine.id, aloftTags(deploymentId));
  snapshotId = snap.id;
  step(`snapshot ${snap.id}`);
  await provider.start(machine);
  await waitFor(machine, 'running');
  step('started again');
} catch (err) {
  console.error(`[smoke-exoscale] FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  step('cleaning up');
  if (snapshotId) await provider.deleteSnapshot(snapshotId).catch((e) => console.error(`snapshot cleanup: ${e}`));
  if (machine) await provider.destroy(machine).catch((e) => console.error(`destroy: ${e}`));
  if (volumeId) await provider.deleteVolume(volumeId).catch((e) => console.error(`volume cleanup: ${e}`));
  const left = [...(await provider.list({ deploymentId })), ...(await provider.listVolumes({ deploymentId }))];
  if (left.length > 0) {
    console.error(`[smoke-exoscale] LEFT BEHIND: ${left.map((x) => x.id).join(', ')} — delete them in the Exoscale portal`);
    process.exitCode = 1;
  } else step('nothing left behind');
}
