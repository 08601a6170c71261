import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStores } from '../store/test-stores.js';
import { hashAgentToken, generateAgentToken } from '../bootstrap/index.js';
import type { Deployment } from '../store/types.js';
import type { PlannedOffer } from '../catalog/types.js';
import type { Spec } from '../spec/schema.js';
import { PermanentJobError } from '../queue/worker.js';
import { agentCallbackDeps, imageFor, renderUserDataHook } from './bootstrap-binding.js';

const spec = { kind: 'ollama', name: 'q', model: 'qwen2.5:0.5b' } as Spec;
const dep = { id: 'd_1', name: 'q', base_dir: null } as unknown as Deployment;
const offer = (provider: string, gpu: PlannedOffer['gpu'] = null) => ({ provider, region: 'r', instanceType: 't', gpu }) as unknown as PlannedOffer;
const secrets = { upstreamSecret: 'u'.repeat(43), agentToken: generateAgentToken() };

test('the render hook: none for local; cloud-config with the agent, the proxy and the control plane URL otherwise', async () => {
  const hook = renderUserDataHook({ controlPlaneUrl: () => 'https://cp.example.com', env: {} });
  assert.equal(await hook({ spec, deployment: dep, offer: offer('local'), port: 8443, ...secrets }), undefined);
  const ud = (await hook({ spec, deployment: dep, offer: offer('hetzner'), port: 8443, ...secrets }))!;
  assert.match(ud, /^#cloud-config\n/);
  assert.match(ud, /ALOFT_CONTROL_PLANE_URL='https:\/\/cp\.example\.com'|https:\/\/cp\.example\.com/);
  assert.ok(ud.includes(secrets.agentToken));
  assert.ok(!ud.includes(secrets.upstreamSecret), 'only the hash of the upstream secret travels');
  assert.match(ud, /htpasswd/);
});

test('AWS GPU offers boot the Deep Learning AMI (drivers installed); other clouds install drivers', async () => {
  const gpu = { name: 'L4', count: 1, vramGb: 24 };
  assert.deepEqual(imageFor('aws', { gpu }), { os: 'ubuntu-22.04', gpuReady: true });
  assert.deepEqual(imageFor('aws', { gpu: null }), { os: 'ubuntu-24.04', gpuReady: false });
  assert.deepEqual(imageFor('exoscale', { gpu }), { os: 'ubuntu-24.04', gpuReady: false });
  const hook = renderUserDataHook({ controlPlaneUrl: () => 'https://cp.example.com', env: {} });
  const aws = (await hook({ spec, deployment: dep, offer: offer('aws', gpu as never), port: 8443, ...secrets }))!;
  const exo = (await hook({ spec, deployment: dep, offer: offer('exoscale', gpu as never), port: 8443, ...secrets }))!;
  assert.doesNotMatch(aws, /step nvidia/);
  assert.match(exo, /step nvidia/);
});

test('a spec the builder refuses, or a missing Tailscale key, fails without retry', async () => {
  const hook = renderUserDataHook({ controlPlaneUrl: () => 'https://cp.example.com', env: {} });
  const ts = { ...spec, access: { tailscale: { auth_key_env: 'NO_SUCH_TS_KEY' } } } as Spec;
  await assert.rejects(hook({ spec: ts, deployment: dep, offer: offer('aws'), port: 8443, ...secrets }), (e: Error) => e instanceof PermanentJobError && /NO_SUCH_TS_KEY/.test(e.message));
  await assert.rejects(hook({ spec, deployment: dep, offer: offer('aws'), port: 8443, ...secrets, upstreamSecret: '' }), (e: Error) => e instanceof PermanentJobError);
});

for (const factory of testStores()) {
  describe(`agent callbacks on ${factory.name}`, () => {
    test('tokens, stage events, busy heartbeats', async (t) => {
      const store = await factory.open();
      t.after(() => store.close());
      const token = generateAgentToken();
      await store.db
        .insertInto('deployments')
        .values({
          id: 'd_cb', name: 'cb', kind: 'ollama', owner: 'me', spec_json: JSON.stringify(spec), base_dir: null, provider: 'aws', region: 'r', instance_type: 't',
          price_per_hour: 0, desired_state: 'running', status: 'ready', status_reason: null, endpoint: null, port: 8443, upstream_secret: null,
          agent_token_hash: hashAgentToken(token), generation: 1, created_at: 1, updated_at: 1, ready_at: 1, last_activity_at: 100, expires_at: null, destroyed_at: null,
        })
        .execute();
      let now = 1000;
      const deps = agentCallbackDeps(store.db, { now: () => now });
      assert.equal(await deps.verifyAgentToken('d_cb', token), true);
      assert.equal(await deps.verifyAgentToken('d_cb', generateAgentToken()), false);
      assert.equal(await deps.verifyAgentToken('d_none', token), false);

      await deps.recordStage('d_cb', 'failed', 'step x failed', 'line 1\nline 2');
      await deps.recordStage('d_cb', 'ready', 'tls_sha256=ab', 'ignored');
      const hb = { sshSessions: 0, gpuUtil: null, ollamaRunning: 0 };
      await deps.recordHeartbeat('d_cb', { ...hb, busy: false });
      await deps.recordHeartbeat('d_cb', { ...hb, busy: false });
      now = 2000;
      await deps.recordHeartbeat('d_cb', { ...hb, busy: true, sshSessions: 1 });
      now = 3000;
      await deps.recordHeartbeat('d_cb', { ...hb, busy: true, sshSessions: 1 });
      const row = await store.db.selectFrom('deployments').select('last_activity_at').where('id', '=', 'd_cb').executeTakeFirstOrThrow();
      assert.equal(Number(row.last_activity_at), 3000);

      const events = await store.db.selectFrom('events').selectAll().where('deployment_id', '=', 'd_cb').orderBy('id').execute();
      assert.deepEqual(events.map((e) => e.message), ['stage failed: step x failed', 'stage ready: tls_sha256=ab', 'heartbeat: idle (ssh 0, gpu none, ollama 0)', 'heartbeat: busy (ssh 1, gpu none, ollama 0)']);
      assert.deepEqual(JSON.parse(events[0]!.data_json!), { stage: 'failed', message: 'step x failed', log_tail: 'line 1\nline 2' });
      assert.equal(JSON.parse(events[1]!.data_json!).log_tail, undefined);

      // A fresh server picks the busy state up from the last heartbeat event: no duplicate.
      const again = agentCallbackDeps(store.db, { now: () => 4000 });
      await again.recordHeartbeat('d_cb', { ...hb, busy: true });
      assert.equal((await store.db.selectFrom('events').select('id').where('deployment_id', '=', 'd_cb').execute()).length, 4);

      await store.db.updateTable('deployments').set({ status: 'destroyed', agent_token_hash: null }).where('id', '=', 'd_cb').execute();
      assert.equal(await deps.verifyAgentToken('d_cb', token), false);
    });
  });
}
