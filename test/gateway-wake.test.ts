import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { findIdle } from '../src/gateway/idle.js';
import type { MemoryBackend } from '../src/gateway/memory-backend.js';
import { json, request, startGateway, until } from './gateway-helpers.js';

/** A machine as a real process: an HTTP server that says which process answered. */
const MACHINE = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ pid: process.pid, path: req.url, secret: req.headers['x-aloft-upstream-secret'] || null }));
});
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

/** A fake engine: each requestWake starts one machine process and marks the deployment ready. */
function fakeEngine(t: TestContext, backend: MemoryBackend, name: string, startDelayMs = 200) {
  const procs: ChildProcess[] = [];
  t.after(() => procs.forEach((p) => p.kill('SIGKILL')));
  backend.onWake = async () => {
    backend.update(name, { status: 'starting' });
    const p = spawn(process.execPath, ['-e', MACHINE], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(p);
    const port = await new Promise<string>((resolve, reject) => {
      p.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      p.once('exit', () => reject(new Error('machine exited')));
    });
    setTimeout(() => backend.update(name, { status: 'ready', upstreamUrl: `http://127.0.0.1:${port}` }), startDelayMs);
  };
  const stop = () => {
    for (const p of procs) p.kill('SIGKILL');
    backend.update(name, { status: 'stopped', upstreamUrl: null });
  };
  return { procs, stop };
}

test('50 concurrent requests during one wake start exactly one process and all get its answer', async (t) => {
  const { url, backend, gw } = await startGateway(t);
  backend.put({ name: 'llm', status: 'stopped', upstreamSecret: 'sec', wakeTimeoutMs: 60_000 });
  const engine = fakeEngine(t, backend, 'llm');
  const { key } = backend.addKey();
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => request(`${url}/d/llm/api/generate?i=${i}`, { headers: { authorization: `Bearer ${key}` } })),
  );
  assert.equal(backend.wakeRequests.length, 1);
  assert.equal(engine.procs.length, 1);
  answers.forEach((a, i) => {
    assert.equal(a.status, 200);
    assert.deepEqual(json(a), { pid: engine.procs[0]!.pid, path: `/api/generate?i=${i}`, secret: 'sec' });
  });
  assert.match(await gw.metrics.registry.metrics(), /aloft_gateway_wakes_total\{deployment="llm"\} 1/);
});

test('idle stop, then the next request wakes it and gets the right body', async (t) => {
  const { url, backend, gw } = await startGateway(t, { activityFlushMs: 50 });
  const d = backend.put({ name: 'svc', status: 'stopped', wakeTimeoutMs: 60_000 });
  const engine = fakeEngine(t, backend, 'svc', 0);
  const { key } = backend.addKey();
  const h = { 'x-aloft-key': key };

  const first = await request(`${url}/d/svc/one`, { headers: h });
  assert.equal(json(first).path, '/one');
  const readyAt = Date.now();

  // The engine's idle loop: store activity (flushed in batches) + what the gateway holds now.
  const idleTimeoutMs = 300;
  const lastStored = () => Math.max(0, ...backend.activityBatches.map((b) => b.get(d.deploymentId) ?? 0));
  const idleNow = () =>
    findIdle([{ id: d.deploymentId, status: backend.deployments.get('svc')!.status, idleTimeoutMs, lastActivityAt: lastStored() || null, readyAt }], Date.now(), gw.activity.activeIds());
  assert.deepEqual(idleNow(), [], 'just used: not idle');
  await until(() => idleNow().length === 1, 'the deployment to go idle');
  assert.ok(Date.now() - lastStored() < idleTimeoutMs + 10_000);
  engine.stop();

  const second = await request(`${url}/d/svc/two`, { headers: h });
  assert.equal(second.status, 200);
  assert.deepEqual(json(second), { pid: engine.procs[1]!.pid, path: '/two', secret: null });
  assert.equal(backend.wakeRequests.length, 2);
});

test('a browser gets a page that refreshes; others get 503 + Retry-After past the wake timeout', async (t) => {
  const { url, backend } = await startGateway(t, { retryAfter: { page: 3, timeout: 7 } });
  backend.put({ name: 'web', status: 'stopped', wakeTimeoutMs: 200 });
  backend.put({ name: 'manual', status: 'stopped', wakeOnRequest: false });
  backend.onWake = () => backend.update('web', { status: 'starting' });
  const { key } = backend.addKey();
  const h = { 'x-aloft-key': key };

  const page = await request(`${url}/d/web/`, { headers: { ...h, accept: 'text/html,application/xhtml+xml' } });
  assert.equal(page.status, 503);
  assert.equal(page.headers['retry-after'], '3');
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.body, /web is starting/);
  assert.match(page.body, /http-equiv="refresh" content="3"/);
  await until(() => backend.wakeRequests.length === 1, 'the page to start the wake');

  const t0 = Date.now();
  const late = await request(`${url}/d/web/api`, { headers: h });
  assert.ok(Date.now() - t0 >= 150, 'held until the wake timeout');
  assert.equal(late.status, 503);
  assert.equal(late.headers['retry-after'], '7');
  assert.equal(json(late).error.code, 'starting');
  assert.equal(backend.wakeRequests.length, 1, 'already starting: not asked again');

  const manual = await request(`${url}/d/manual/`, { headers: h });
  assert.equal(manual.status, 503);
  assert.equal(json(manual).error.code, 'stopped');
  assert.equal(backend.wakeRequests.length, 1);
});
