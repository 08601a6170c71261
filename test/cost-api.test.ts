/**
 * Cost and budgets through the real API and engine, on SQLite and (with
 * ALOFT_TEST_DATABASE_URL) PostgreSQL: accrued cost from a controlled status timeline,
 * a deployment refused by a budget with the numbers, and running deployments stopped
 * once spending reaches a budget, each with a `budget` event.
 *
 * The clock is pinned mid-month (UTC) so month boundaries never move the numbers. No job
 * worker runs: the timeline is written with the engine's own `transition`, as jobs do.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { testStores } from '../src/store/test-stores.js';
import type { Store } from '../src/store/db.js';
import { createEngine, type Engine } from '../src/engine/engine.js';
import type { EngineContext } from '../src/engine/context.js';
import { transition } from '../src/engine/transitions.js';
import { monitorOnce } from '../src/engine/monitors.js';
import { buildApi } from '../src/api/server.js';
import { hashToken } from '../src/lib/tokens.js';
import { secretBoxFromKey } from '../src/lib/secret-box.js';
import { getDeploymentByName } from '../src/store/deployments.js';
import type { PlannedOffer } from '../src/catalog/types.js';
import type { DeploymentStatus } from '../src/store/types.js';

const HOUR = 3_600_000;
/** 15 June 2025 12:00 UTC: 372 hours left in the month. */
const NOW = Date.UTC(2025, 5, 15, 12);
const TOKEN = 'adm_test_token';

/** $0.50/h compute + 100 GB at $0.073/GB-month ($0.01/h) = $0.51/h. */
function offer(pricePerHour = 0.5): PlannedOffer {
  const disk = 0.073;
  return {
    provider: 'fake',
    region: 'eu-test-1',
    instanceType: 'f1.large',
    gpu: null,
    vcpus: 4,
    memoryGb: 16,
    arch: 'x86_64',
    pricePerHour,
    diskPricePerGbMonth: disk,
    spot: false,
    hourlyUsd: Math.round((pricePerHour + (100 * disk) / 730) * 1e6) / 1e6,
    monthlyUsd: (pricePerHour + (100 * disk) / 730) * 730,
  };
}

const specYaml = (name: string) => `kind: service\nname: ${name}\nimage: nginx:1\ncommand: nginx -g 'daemon off;'\nport: 80\nresources: { disk: 100 }\n`;

interface Rig {
  store: Store;
  ctx: EngineContext;
  engine: Engine;
  api: FastifyInstance;
  clock: { now: number };
  current: { offer: PlannedOffer };
  submit(name: string, owner: string): Promise<{ statusCode: number; body: any }>;
  get(path: string): Promise<{ statusCode: number; body: any }>;
  walk(name: string, steps: Array<[DeploymentStatus, number]>): Promise<void>;
}

async function rig(t: { after(fn: () => Promise<void>): void }, open: () => Promise<Store>): Promise<Rig> {
  const store = await open();
  const clock = { now: NOW };
  const current = { offer: offer() };
  const ctx: EngineContext = {
    store,
    providers: new Map(),
    plan: async () => [current.offer],
    secrets: secretBoxFromKey(randomBytes(32)),
    log: pino({ level: 'silent' }),
    now: () => clock.now,
    readyTimeoutMs: 10_000,
    pollMs: 50,
    orphanGraceMs: 60_000,
  };
  const engine = createEngine(ctx);
  const api = await buildApi({
    engine,
    store,
    providers: new Map(),
    plan: ctx.plan,
    adminTokenHash: hashToken(TOKEN),
    version: 'test',
    gatewayUrl: () => null,
    owner: (req) => String(req.headers['x-test-user'] ?? 'alice'),
    now: () => clock.now,
  });
  t.after(async () => {
    await api.close();
    await store.close();
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  return {
    store,
    ctx,
    engine,
    api,
    clock,
    current,
    async submit(name, owner) {
      const r = await api.inject({ method: 'POST', url: '/v1/deployments', headers: { ...auth, 'x-test-user': owner }, payload: { yaml: specYaml(name) } });
      return { statusCode: r.statusCode, body: r.json() };
    },
    async get(path) {
      const r = await api.inject({ method: 'GET', url: path, headers: auth });
      return { statusCode: r.statusCode, body: r.json() };
    },
    /** Moves a deployment through statuses at the given times (ms relative to NOW). */
    async walk(name, steps) {
      for (const [to, rel] of steps) {
        const dep = (await getDeploymentByName(store.db, name))!;
        await transition(store.db, dep, to, { at: NOW + rel });
      }
    },
  };
}

const near = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} ≠ ${expected}`);

for (const s of testStores()) {
  describe(`cost and budgets (${s.name})`, () => {
    test('accrued cost from the status timeline, by deployment, user and provider', async (t) => {
      const r = await rig(t, () => s.open());
      r.clock.now = NOW - 10 * HOUR;
      assert.equal((await r.submit('web', 'alice')).statusCode, 201);
      // web: runs 4 h, stopped 4 h (disk only), runs 1 h, destroyed 1 h ago.
      await r.walk('web', [['provisioning', -10 * HOUR], ['booting', -9.5 * HOUR], ['ready', -9 * HOUR], ['stopping', -6 * HOUR], ['stopped', -6 * HOUR], ['starting', -2 * HOUR], ['ready', -2 * HOUR + 60_000], ['destroying', -1 * HOUR], ['destroyed', -1 * HOUR]]);
      r.clock.now = NOW - 3 * HOUR;
      assert.equal((await r.submit('api', 'bob')).statusCode, 201);
      await r.walk('api', [['provisioning', -3 * HOUR], ['booting', -3 * HOUR], ['ready', -2.5 * HOUR]]);
      r.clock.now = NOW;

      const row = await getDeploymentByName(r.store.db, 'web');
      assert.equal(row!.disk_gb, 100);
      near(row!.disk_usd_per_gb_month!, 0.073, 'disk price');
      near(row!.price_per_hour!, 0.51, 'price per hour');

      const byDep = await r.get('/v1/cost?since=30d');
      assert.equal(byDep.statusCode, 200, JSON.stringify(byDep.body));
      assert.equal(byDep.body.by, 'deployment');
      const web = byDep.body.rows.find((x: any) => x.key.startsWith('web '));
      const api = byDep.body.rows.find((x: any) => x.key.startsWith('api '));
      near(web.running_hours, 5, 'web running');
      near(web.stopped_hours, 4, 'web stopped');
      near(web.compute_usd, 2.5, 'web compute');
      near(web.disk_usd, 0.09, 'web disk (running and stopped)');
      near(web.total_usd, 2.59, 'web total');
      near(api.running_hours, 3, 'api running');
      near(api.total_usd, 1.53, 'api total');
      near(byDep.body.total.total_usd, 4.12, 'total');
      assert.equal(byDep.body.rows[0].key, web.key, 'most expensive first');

      const byUser = await r.get('/v1/cost?since=30d&by=user');
      assert.deepEqual(byUser.body.rows.map((x: any) => [x.key, x.total_usd]), [['alice', 2.59], ['bob', 1.53]]);
      const byProvider = await r.get('/v1/cost?by=provider');
      assert.deepEqual(byProvider.body.rows.map((x: any) => [x.key, x.deployments, x.total_usd]), [['fake', 2, 4.12]]);

      // The last 2 hours: web ran 1 h of them, api 2 h.
      const recent = await r.get('/v1/cost?since=2h&by=user');
      assert.deepEqual(recent.body.rows.map((x: any) => [x.key, x.total_usd]), [['bob', 1.02], ['alice', 0.51]]);

      const badSince = await r.get('/v1/cost?since=yesterday');
      assert.equal(badSince.statusCode, 400);
      assert.match(badSince.body.error.message, /expected a duration like 30d/);
      assert.equal((await r.get('/v1/cost?by=region')).statusCode, 400);
    });

    test('a deployment that would exceed a budget is refused with the numbers', async (t) => {
      const r = await rig(t, () => s.open());
      r.ctx.budgets = { monthly_usd: 100, per_user: { bob: 10 } };
      r.current.offer = offer(0.19); // $0.20/h × 372 h left = $74.40
      const bob = await r.submit('bob-box', 'bob');
      assert.equal(bob.statusCode, 402, JSON.stringify(bob.body));
      assert.equal(bob.body.error.code, 'budget_exceeded');
      assert.match(bob.body.error.message, /monthly budget of bob \$10\.00 would be exceeded: spent \$0\.00 \+ projected \$74\.40 = \$74\.40/);
      assert.equal(await getDeploymentByName(r.store.db, 'bob-box'), undefined, 'nothing was created');

      const alice = await r.submit('alice-box', 'alice');
      assert.equal(alice.statusCode, 201, 'within the global budget, alice has no budget of her own');
      // alice-box has run 10 h this month ($2.00); another one at $0.51/h × 372 h = $189.72 breaks the global $100.
      await r.walk('alice-box', [['provisioning', -10 * HOUR], ['booting', -10 * HOUR], ['ready', -10 * HOUR]]);
      r.current.offer = offer(0.5);
      const big = await r.submit('big', 'alice');
      assert.equal(big.statusCode, 402);
      assert.match(big.body.error.message, /global monthly budget \$100\.00 would be exceeded: spent \$2\.00 \+ projected \$189\.72 = \$191\.72/);

      // A free offer adds nothing and is never refused.
      r.current.offer = { ...offer(0), diskPricePerGbMonth: 0, hourlyUsd: 0, monthlyUsd: 0 };
      assert.equal((await r.submit('free', 'bob')).statusCode, 201);
    });

    test('once spending reaches a budget, running deployments in its scope are stopped with a budget event', async (t) => {
      const r = await rig(t, () => s.open());
      for (const [name, owner] of [['bob-a', 'bob'], ['bob-b', 'bob'], ['alice-a', 'alice']] as const) {
        r.clock.now = NOW - 3 * HOUR;
        assert.equal((await r.submit(name, owner)).statusCode, 201);
      }
      await r.walk('bob-a', [['provisioning', -3 * HOUR], ['booting', -3 * HOUR], ['ready', -3 * HOUR]]); // $1.53
      await r.walk('bob-b', [['provisioning', -3 * HOUR], ['booting', -3 * HOUR], ['ready', -3 * HOUR], ['stopping', -2 * HOUR], ['stopped', -2 * HOUR]]); // $0.51 + disk
      await r.walk('alice-a', [['provisioning', -3 * HOUR], ['booting', -3 * HOUR], ['ready', -3 * HOUR]]);
      r.clock.now = NOW;

      // bob: bob-a ran 3 h ($1.53), bob-b ran 1 h ($0.51) and sat stopped 2 h (disk $0.02) = $2.06; alice $1.53.
      r.ctx.budgets = { monthly_usd: 100, per_user: { bob: 3 } };
      assert.deepEqual(await monitorOnce(r.ctx, r.engine), [], 'below every budget: nothing stops');

      r.ctx.budgets = { monthly_usd: 100, per_user: { bob: 2 } };
      assert.deepEqual(await monitorOnce(r.ctx, r.engine), ['bob-a'], 'only bob\'s running deployment stops');
      const message = 'stopped: monthly budget of bob $2.00 reached (spent $2.06 this month)';
      const bobA = (await getDeploymentByName(r.store.db, 'bob-a'))!;
      assert.equal(bobA.desired_state, 'stopped');
      const events = await r.get('/v1/deployments/bob-a/events');
      const budget = events.body.filter((e: any) => e.type === 'budget');
      assert.equal(budget.length, 1);
      assert.equal(budget[0].message, message);
      assert.deepEqual(budget[0].data, { budget: 'monthly budget of bob', monthly_usd: 2, spent_usd: 2.06 });
      assert.equal((await getDeploymentByName(r.store.db, 'alice-a'))!.desired_state, 'running');
      assert.equal((await getDeploymentByName(r.store.db, 'bob-b'))!.status, 'stopped');

      // The stop job carries the budget message as its reason, down to the status.
      const job = await r.store.db.selectFrom('jobs').selectAll().where('deployment_id', '=', bobA.id).where('kind', '=', 'stop').where('status', '=', 'pending').executeTakeFirstOrThrow();
      await r.engine.handlers.stop!({ ...job, id: Number(job.id), payload: JSON.parse(job.payload_json) }, new AbortController().signal);
      const stopped = (await getDeploymentByName(r.store.db, 'bob-a'))!;
      assert.equal(stopped.status, 'stopped');
      assert.equal(stopped.status_reason, message);
      assert.deepEqual(await monitorOnce(r.ctx, r.engine), [], 'no second stop, no second event');

      // The global budget covers everyone: alice's deployment stops too.
      r.ctx.budgets = { monthly_usd: 3 };
      assert.deepEqual(await monitorOnce(r.ctx, r.engine), ['alice-a']);
      const aliceEvents = (await r.get('/v1/deployments/alice-a/events')).body.filter((e: any) => e.type === 'budget');
      assert.match(aliceEvents[0].message, /^stopped: global monthly budget \$3\.00 reached \(spent \$3\.59 this month\)$/);
    });
  });
}
