// examples/hello/server.js as Aloft runs it: a child process on PORT, checked over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../examples/hello/', import.meta.url));

/** Starts the server on a free port (PORT=0) and reads the port from its first log line. */
async function start(env: Record<string, string> = {}): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const child = spawn(process.execPath, ['server.js'], { cwd: dir, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    const onData = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}`));
    });
  });
  return { child, base, output: () => out };
}

function stopper(child: ChildProcess) {
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
}

test('hello serves a page with a counter, JSON info and a health check', { timeout: 60_000 }, async (t) => {
  const { child, base } = await start({ APP_NAME: 'hello-test' });
  t.after(stopper(child));

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');

  const first = await fetch(`${base}/`);
  assert.equal(first.status, 200);
  assert.match(first.headers.get('content-type')!, /^text\/html/);
  const html = await first.text();
  assert.match(html, /Hello from hello-test/);
  assert.match(html, /id="visits">1</);
  assert.match(await (await fetch(`${base}/`)).text(), /id="visits">2</);

  const info = await fetch(`${base}/api/info`);
  assert.match(info.headers.get('content-type')!, /^application\/json/);
  const body = (await info.json()) as { name: string; visits: number; uptimeS: number };
  assert.equal(body.name, 'hello-test');
  assert.equal(body.visits, 2);
  assert.equal(typeof body.uptimeS, 'number');

  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 405);
});

test('hello stops cleanly on SIGTERM', { timeout: 60_000 }, async (t) => {
  const { child, base, output } = await start();
  t.after(stopper(child));
  // An open keep-alive connection must not hold the shutdown.
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0);
  assert.match(output(), /SIGTERM: shutting down/);
});
