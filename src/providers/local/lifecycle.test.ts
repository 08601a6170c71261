import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { scanManaged } from './proc-scan.js';
import { homeId } from './state-file.js';
import { NODE, get, pidAlive, serviceRequest, tempHome, waitFor, writeServer } from './test-support.js';
import { shq } from './workload.js';

const T = { timeout: 60_000 };

test('create runs the workload on its port with its environment, and records pid and start time', T, async (t) => {
  const { home, provider, server } = tempHome(t);
  const req = await serviceRequest(`exec ${NODE} ${shq(server)}`, { tags: { owner: 'ann' } });
  const m = await provider.create(req, { idempotencyKey: 'k1' });
  assert.match(m.id, /^lm-[a-z0-9]+$/);
  assert.equal(m.state, 'running');
  assert.equal(m.provider, 'local');
  assert.equal(m.region, 'local');
  assert.equal(m.instanceType, 'local');
  assert.equal(m.endpoint, `http://127.0.0.1:${req.port}`);
  assert.deepEqual(m.tags, { owner: 'ann', 'aloft-managed': 'true', 'aloft-deployment': 'dep-1' });
  assert.equal(await waitFor(() => get(req.port), 20_000, 'server'), `ok ${m.id}`);

  const state = JSON.parse(readFileSync(join(home, 'local', 'machines', `${m.id}.json`), 'utf8'));
  assert.equal(typeof state.pid, 'number');
  assert.match(state.startTime, /^\d+$/);
  assert.equal(state.env.PORT, String(req.port));
  assert.equal(state.env.ALOFT_HOME_ID, homeId(home));
  assert.equal(state.env.ALOFT_DEPLOYMENT, 'dep-1');
  assert.ok(existsSync(join(home, 'local', 'machines', `${m.id}.d`)), 'own working directory');
});

test('create is idempotent on its key: same machine, one spawn, even when called concurrently', T, async (t) => {
  const { home, provider, server } = tempHome(t);
  const req = await serviceRequest(`exec ${NODE} ${shq(server)}`);
  const [a, b] = await Promise.all([
    provider.create(req, { idempotencyKey: 'same' }),
    provider.create(req, { idempotencyKey: 'same' }),
  ]);
  const c = await provider.create(req, { idempotencyKey: 'same' });
  assert.equal(a.id, b.id);
  assert.equal(a.id, c.id);
  await waitFor(() => get(req.port), 20_000, 'server');
  const log = readFileSync(join(home, 'local', 'machines', `${a.id}.log`), 'utf8');
  assert.equal(log.match(/\[aloft\] starting/g)?.length, 1, log);
  const groups = new Set((await scanManaged(homeId(home))).map((p) => p.pgid));
  assert.equal(groups.size, 1);
  const other = await provider.create(await serviceRequest('exec sleep 1000'), { idempotencyKey: 'other' });
  assert.notEqual(other.id, a.id);
  assert.equal((await provider.list()).length, 2);
});

test('stop ends the whole process group, grandchildren included; start respawns', T, async (t) => {
  const { provider, server, home } = tempHome(t);
  const req = await serviceRequest(`sleep 1000 & ${NODE} ${shq(server)}`);
  const m = await provider.create(req, { idempotencyKey: 'k' });
  await waitFor(() => get(req.port), 20_000, 'server');
  const procs = await scanManaged(homeId(home), m.id);
  assert.ok(procs.length >= 3, `wrapper, shell, sleep and node: ${procs.length}`);

  await provider.stop(m);
  for (const p of procs) assert.equal(await pidAlive(p.pid), false, `pid ${p.pid} still alive`);
  const stopped = await provider.describe(m);
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.stateReason, 'stopped');
  await provider.stop(m); // stopping a stopped machine is fine

  await provider.start(m);
  const started = await provider.describe(m);
  assert.equal(started.state, 'running');
  assert.notEqual(started.details?.pid, m.details?.pid);
  assert.equal(await waitFor(() => get(req.port), 20_000, 'server again'), `ok ${m.id}`);
  await provider.start(m); // no-op while running
  assert.equal((await provider.describe(m)).details?.pid, started.details?.pid);
});

test('stop sends SIGKILL after the grace period to a workload that ignores SIGTERM', T, async (t) => {
  const { home } = tempHome(t);
  const { createLocalProvider } = await import('./index.js');
  const provider = createLocalProvider({ home, graceMs: 500 });
  const stubborn = writeServer(home, { ignoreTerm: true });
  const req = await serviceRequest(`exec ${NODE} ${shq(stubborn)}`);
  const m = await provider.create(req, { idempotencyKey: 'k' });
  await waitFor(() => get(req.port), 20_000, 'server');
  const pids = (await scanManaged(homeId(home), m.id)).map((p) => p.pid);
  const t0 = Date.now();
  await provider.stop(m);
  assert.ok(Date.now() - t0 >= 450, `stop waited the grace period (${Date.now() - t0} ms)`);
  for (const pid of pids) assert.equal(await pidAlive(pid), false);
  const d = await provider.describe(m);
  assert.equal(d.state, 'stopped');
  assert.equal(d.stateReason, 'stopped');
  const log = readFileSync(join(home, 'local', 'machines', `${m.id}.log`), 'utf8');
  assert.match(log, /ignoring SIGTERM/);
});

test('a workload that exits is stopped with its exit code', T, async (t) => {
  const { provider } = tempHome(t);
  const m = await provider.create(await serviceRequest('echo bye; exit 3'), { idempotencyKey: 'k' });
  const d = await waitFor(async () => {
    const x = await provider.describe(m);
    return x.state === 'stopped' && x;
  }, 20_000, 'exit');
  assert.equal(d.stateReason, 'exited with code 3');
  assert.equal(d.details?.exitCode, 3);
  // Idempotent create does not respawn an ended machine: the engine decides.
  const again = await provider.create(await serviceRequest('echo bye; exit 3'), { idempotencyKey: 'k' });
  assert.equal(again.state, 'stopped');
});

test('destroy removes processes and files; twice is fine; then describe is not found', T, async (t) => {
  const { provider, home } = tempHome(t);
  const m = await provider.create(await serviceRequest('exec sleep 1000'), { idempotencyKey: 'k' });
  const procs = await scanManaged(homeId(home), m.id);
  assert.ok(procs.length > 0);
  await provider.destroy(m);
  await provider.destroy(m);
  for (const p of procs) assert.equal(await pidAlive(p.pid), false);
  for (const ext of ['json', 'log', 'exit', 'd']) assert.equal(existsSync(join(home, 'local', 'machines', `${m.id}.${ext}`)), false, ext);
  await assert.rejects(provider.describe(m), NotFoundError);
  await assert.rejects(provider.stop(m), NotFoundError);
  await assert.rejects(provider.start(m), NotFoundError);
  await provider.destroy({ provider: 'local', id: 'lm-000000000000' });
  assert.deepEqual(await provider.list(), []);
});

test('invalid requests: missing working directory, devbox, bad port', T, async (t) => {
  const { provider, home } = tempHome(t);
  await assert.rejects(
    provider.create(await serviceRequest('true', { workdir: join(home, 'nope') }), { idempotencyKey: 'a' }),
    (e: unknown) => e instanceof InvalidRequestError && /working directory/.test(e.message),
  );
  await assert.rejects(
    provider.create(await serviceRequest('true', { workdir: 'relative/dir' }), { idempotencyKey: 'b' }),
    InvalidRequestError,
  );
  const devbox = await serviceRequest('true', { spec: { kind: 'devbox', name: 'box', ssh_keys: ['ssh-ed25519 AAAA'] } });
  await assert.rejects(provider.create(devbox, { idempotencyKey: 'c' }), InvalidRequestError);
  await assert.rejects(provider.create(await serviceRequest('true', { port: 70000 }), { idempotencyKey: 'd' }), InvalidRequestError);
  assert.deepEqual(await provider.list(), [], 'a refused create leaves no machine behind');
});

test('a given working directory is used and kept on destroy', T, async (t) => {
  const { provider, home } = tempHome(t);
  const req = await serviceRequest('pwd > where.txt; exit 0', { workdir: home });
  const m = await provider.create(req, { idempotencyKey: 'k' });
  await waitFor(async () => (await provider.describe(m)).state === 'stopped', 20_000, 'exit');
  assert.equal(readFileSync(join(home, 'where.txt'), 'utf8').trim().endsWith(home.split('/').pop()!), true);
  await provider.destroy(m);
  assert.ok(existsSync(join(home, 'where.txt')));
});
