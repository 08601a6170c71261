/**
 * GET /v1/providers/machines through the real API, engine and store (SQLite, and PostgreSQL
 * with ALOFT_TEST_DATABASE_URL), with in-memory providers: every class (owned, pending,
 * orphan, foreign) with the deployment's name where the store knows it; a provider whose
 * list() throws or hangs is a listing with its error while the others are still listed;
 * an unknown name is 404 `unknown_provider`; no secret or machine detail leaks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { testStores } from '../src/store/test-stores.js';
import type { Store } from '../src/store/db.js';
import { createEngine } from '../src/engine/engine.js';
import type { EngineContext } from '../src/engine/context.js';
import { buildApi } from '../src/api/server.js';
import { hashToken } from '../src/lib/tokens.js';
import { secretBoxFromKey } from '../src/lib/secret-box.js';
import { getDeploymentByName, updateDeployment } from '../src/store/deployments.js';
import { insertMachineIntent, updateMachine } from '../src/store/machines.js';
import type { Machine, Provider } from '../src/providers/types.js';
import type { PlannedOffer } from '../src/catalog/types.js';
import type { ProviderMachinesView as ApiView } from '../src/api/routes/provider-machines.js';
import type { ProviderMachinesView as SdkView } from '../src/sdk/client.js';

// The SDK's hand-written view and the route's schema describe the same answer (checked by tsc).
export const sdkMatchesApi = (v: ApiView): SdkView => v;
export const apiMatchesSdk = (v: SdkView): ApiView => v;

const TOKEN = 'adm_test_token';
const SECRET = 'very-secret-cloud-token-123';
const CREATED = Date.UTC(2025, 5, 15, 12);
const offer: PlannedOffer = { provider: 'fake', region: 'r1', instanceType: 'f1', gpu: null, vcpus: 1, memoryGb: 1, arch: 'x86_64', pricePerHour: 0.1, spot: false, hourlyUsd: 0.1, monthlyUsd: 73 };

function machine(id: string, tags: Record<string, string>): Machine {
  return { provider: 'fake', id, region: 'r1', instanceType: 'f1', state: 'running', tags: { 'aloft-managed': 'true', ...tags }, createdAt: CREATED, details: { rootPassword: SECRET } };
}
function provider(name: string, list: () => Promise<Machine[]>): Provider {
  const no = async (): Promise<never> => {
    throw new Error('not in this test');
  };
  return { name, check: async () => ({ ok: true, message: 'ok' }), create: no, describe: no, destroy: no, list };
}

async function rig(t: { after(fn: () => Promise<void>): void }, open: () => Promise<Store>) {
  const store = await open();
  const listed: Machine[] = [];
  const providers = new Map<string, Provider>([
    ['fake', provider('fake', async () => listed)],
    ['broken', provider('broken', async () => { throw new Error(`401 from the cloud: token ${SECRET} rejected\nstack line`); })],
    ['slow', provider('slow', () => new Promise<Machine[]>(() => {}))],
  ]);
  const ctx: EngineContext = {
    store,
    providers,
    plan: async () => [offer],
    secrets: secretBoxFromKey(randomBytes(32)),
    log: pino({ level: 'silent' }),
    now: Date.now,
    readyTimeoutMs: 10_000,
    pollMs: 50,
    orphanGraceMs: 60_000,
    installationId: 'inst-a',
  };
  const api = await buildApi({
    engine: createEngine(ctx),
    store,
    providers,
    plan: ctx.plan,
    adminTokenHash: hashToken(TOKEN),
    version: 'test',
    gatewayUrl: () => null,
    owner: () => 'alice',
    secretValues: [SECRET],
    providerCheckTimeoutMs: 300,
    installationId: 'inst-a',
  });
  t.after(async () => {
    await api.close();
    await store.close();
  });
  const headers = { authorization: `Bearer ${TOKEN}` };
  const submit = async (name: string) => {
    const yaml = `kind: service\nname: ${name}\nimage: nginx:1\ncommand: nginx -g 'daemon off;'\nport: 80\n`;
    const r = await api.inject({ method: 'POST', url: '/v1/deployments', headers, payload: { yaml } });
    assert.equal(r.statusCode, 201, r.body);
    return (await getDeploymentByName(store.db, name))!;
  };
  const get = (url: string) => api.inject({ method: 'GET', url, headers });
  return { store, api, listed, submit, get };
}

for (const s of testStores()) {
  describe(`GET /v1/providers/machines (${s.name})`, () => {
    test('owned, pending, orphan and foreign machines; failing providers are rows with their error', async (t) => {
      const r = await rig(t, () => s.open());
      const web = await r.submit('web');
      const booting = await r.submit('booting');
      const gone = await r.submit('gone');
      const base = { provider: 'fake', region: 'r1', instance_type: 'f1', created_at: Date.now() };
      await insertMachineIntent(r.store.db, { ...base, id: 'm-web', deployment_id: web.id, idempotency_key: `${web.id}-g1-o0` });
      await updateMachine(r.store.db, 'm-web', { provider_id: 'i-owned', state: 'created' });
      await insertMachineIntent(r.store.db, { ...base, id: 'm-booting', deployment_id: booting.id, idempotency_key: `${booting.id}-g1-o0` });
      await updateDeployment(r.store.db, gone.id, { status: 'destroyed', destroyed_at: Date.now() });
      r.listed.push(
        machine('i-owned', { 'aloft-deployment': web.id, 'aloft-installation': 'inst-a' }),
        machine('i-pending', { 'aloft-deployment': booting.id, 'aloft-installation': 'inst-a' }),
        machine('i-orphan', { 'aloft-deployment': gone.id, 'aloft-installation': 'inst-a' }),
        machine('i-untagged', { 'aloft-deployment': 'd-older' }),
        machine('i-foreign', { 'aloft-deployment': 'd-theirs', 'aloft-installation': 'inst-lost' }),
      );

      const res = await r.get('/v1/providers/machines');
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as ApiView;
      assert.equal(body.installation, 'inst-a');
      const rows = Object.fromEntries(body.machines.map((m) => [m.id, m]));
      assert.deepEqual(rows['i-owned'], {
        provider: 'fake', id: 'i-owned', region: 'r1', instance_type: 'f1', state: 'running', class: 'owned',
        deployment_id: web.id, deployment: 'web', deployment_status: 'queued', installation: null, created_at: new Date(CREATED).toISOString(),
      });
      assert.deepEqual(
        body.machines.map((m) => [m.id, m.class, m.deployment, m.deployment_status, m.installation]),
        [
          ['i-owned', 'owned', 'web', 'queued', null],
          ['i-pending', 'pending', 'booting', 'queued', null],
          ['i-orphan', 'orphan', 'gone', 'destroyed', null],
          ['i-untagged', 'orphan', null, null, null],
          ['i-foreign', 'foreign', null, null, 'inst-lost'],
        ],
      );
      assert.equal(rows['i-untagged']!.deployment_id, 'd-older', 'an unknown deployment is shown by its tag');

      const by = Object.fromEntries(body.providers.map((p) => [p.provider, p]));
      assert.deepEqual([by.fake!.ok, by.fake!.machines], [true, 5]);
      assert.equal(by.broken!.ok, false);
      assert.equal(by.broken!.error, 'listing failed: 401 from the cloud: token *** rejected', 'one line, secret masked');
      assert.equal(by.slow!.ok, false);
      assert.match(by.slow!.error ?? '', /no answer within/);
      assert.ok(!res.body.includes(SECRET), 'no secret, no machine details');
      assert.ok(!res.body.includes('rootPassword'));
    });

    test('?name= lists one provider; an unknown or unconfigured one is 404 unknown_provider', async (t) => {
      const r = await rig(t, () => s.open());
      r.listed.push(machine('i-1', { 'aloft-deployment': 'd-1', 'aloft-installation': 'inst-a' }));
      const one = await r.get('/v1/providers/machines?name=fake');
      assert.equal(one.statusCode, 200, one.body);
      assert.deepEqual((one.json() as ApiView).providers.map((p) => p.provider), ['fake']);
      assert.deepEqual((one.json() as ApiView).machines.map((m) => [m.id, m.class]), [['i-1', 'orphan']]);

      const broken = await r.get('/v1/providers/machines?name=broken');
      assert.equal(broken.statusCode, 200, 'a failing provider is not a failed request');
      assert.deepEqual((broken.json() as ApiView).machines, []);

      for (const name of ['nope', 'hetzner']) {
        const res = await r.get(`/v1/providers/machines?name=${name}`);
        assert.equal(res.statusCode, 404);
        assert.equal(res.json().error.code, 'unknown_provider');
        assert.match(res.json().error.message, /configured providers: fake, broken, slow/);
      }
      const anon = await r.api.inject({ method: 'GET', url: '/v1/providers/machines' });
      assert.equal(anon.statusCode, 401, 'the admin token is needed');
      const doc = (await r.api.inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.ok(doc.paths['/v1/providers/machines']?.get, 'in the OpenAPI document');
    });
  });
}
