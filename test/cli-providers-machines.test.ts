/**
 * `aloft providers machines` through the real CLI against a running control plane with the
 * local provider: a deployment's machine is owned, a tagged process nobody owns is an
 * orphan (a long grace keeps the reconciler from destroying it first), another
 * installation's is foreign with that installation; exit codes: 1 with no control plane or
 * a provider that cannot be listed (the other rows still shown, no secret printed), 2 for
 * an unknown or unconfigured provider.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, helloSpec, sandbox, serverInfo, waitFor } from './helpers/cli.js';
import { createLocalProvider, findFreePort } from '../src/providers/local/index.js';
import type { Spec } from '../src/spec/schema.js';
import type { ProviderMachinesView } from '../src/cli/commands/provider-machines.js';

const HELLO = join(ROOT, 'examples/hello');
const TOKEN = 'hcloud-token-never-printed-42';

test('providers machines: owned, orphan and foreign local machines; exit codes', async (t) => {
  const sb = sandbox(t);
  const none = await sb.run(['providers', 'machines']);
  assert.equal(none.code, 1, 'no control plane runs (and none is started to look)');
  assert.match(none.stderr, /control plane is not running/);
  assert.equal(serverInfo(sb.home), null);

  // Hetzner "configured" at a port nothing listens on: its listing fails, fast.
  sb.startServer({ ALOFT_INSTALLATION_ID: 'inst-cli', ALOFT_ORPHAN_GRACE_MS: '3600000', HCLOUD_TOKEN: TOKEN, HCLOUD_ENDPOINT: 'http://127.0.0.1:9/v1', ALOFT_PROVIDER_CHECK_MS: '5000' });
  await waitFor(async () => serverInfo(sb.home), 30_000, 'the control plane');
  const up = await sb.run(['up', sb.writeSpec('hello.yaml', helloSpec('hello')), '--yes']);
  assert.equal(up.code, 0, up.stderr);

  // Machines no deployment of this store holds, made the way the engine makes them.
  const local = createLocalProvider({ home: sb.home, graceMs: 1000 });
  const stray = async (deploymentId: string, tags: Record<string, string>) => {
    const spec: Spec = { kind: 'service', name: deploymentId, command: 'node server.js', workdir: HELLO, health: '/healthz' };
    const offer = { provider: 'local', region: 'local', instanceType: 'local' };
    return local.create({ deploymentId, name: deploymentId, spec, offer, port: await findFreePort(), workdir: HELLO, env: {}, tags }, { idempotencyKey: `${deploymentId}-1` });
  };
  const orphan = await stray('d-ghost', { 'aloft-installation': 'inst-cli' });
  const foreign = await stray('d-theirs', { 'aloft-installation': 'inst-lost' });

  const json = await sb.run(['providers', 'machines', 'local', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const view = JSON.parse(json.stdout) as ProviderMachinesView;
  assert.equal(view.installation, 'inst-cli');
  assert.deepEqual(view.providers.map((p) => [p.provider, p.ok]), [['local', true]]);
  const byId = Object.fromEntries(view.machines.map((m) => [m.id, m]));
  const owned = view.machines.find((m) => m.class === 'owned');
  assert.equal(owned?.deployment, 'hello');
  assert.equal(owned?.deployment_status, 'ready');
  assert.deepEqual([byId[orphan.id]?.class, byId[orphan.id]?.deployment_id], ['orphan', 'd-ghost']);
  assert.deepEqual([byId[foreign.id]?.class, byId[foreign.id]?.installation], ['foreign', 'inst-lost']);
  assert.equal(view.machines.length, 3);

  // All providers: hetzner cannot be listed, so exit 1, with the local rows still shown.
  const table = await sb.run(['providers', 'machines']);
  assert.equal(table.code, 1, table.stderr);
  assert.match(table.stdout, /^PROVIDER\s+ID\s+REGION\s+STATE\s+CLASS\s+DEPLOYMENT\s+INSTALLATION\s+AGE$/m);
  assert.match(table.stdout, /^local\s+\S+\s+local\s+running\s+owned\s+hello \(ready\)\s+-\s+\S+$/m);
  assert.match(table.stdout, new RegExp(`^local\\s+${orphan.id}\\s+local\\s+running\\s+orphan\\s+d-ghost\\s+-\\s+\\S+$`, 'm'));
  assert.match(table.stdout, new RegExp(`^local\\s+${foreign.id}\\s+local\\s+running\\s+foreign\\s+d-theirs\\s+inst-lost\\s+\\S+$`, 'm'));
  assert.match(table.stderr, /3 machines on local \(1 owned, 1 orphan, 1 foreign\); this installation: inst-cli/);
  assert.match(table.stderr, /error: hetzner: listing failed/);
  assert.doesNotMatch(table.stdout + table.stderr, new RegExp(TOKEN));

  const unknown = await sb.run(['providers', 'machines', 'nope']);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /unknown provider "nope"/);
  const unconfigured = await sb.run(['providers', 'machines', 'aws']);
  assert.equal(unconfigured.code, 2, unconfigured.stderr);
  assert.match(unconfigured.stderr, /"aws" is not configured on this control plane; configured providers: local, hetzner/);

  // Listing changed nothing: the orphan is still there (the reconciler's grace is long).
  assert.equal((await local.describe(orphan)).state, 'running');
});
