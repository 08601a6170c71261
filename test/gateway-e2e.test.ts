/**
 * The gateway end to end through the real CLI, server, engine and local provider:
 * keys from `aloft keys`, the url in `aloft status --json`, requests through the gateway,
 * idle stop by the engine's monitor, then wake on the next request with the right body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helloSpec, sandbox, serverInfo, waitFor } from './helpers/cli.js';

test('through the gateway: keys, url in status, idle stop, wake on request, revoke, metrics', { timeout: 240_000 }, async (t) => {
  const sb = sandbox(t);
  const spec = sb.writeSpec('gw.yaml', helloSpec('gw', 'lifecycle:\n  idle_timeout: 3s\n  on_idle: stop\n'));
  const up = await sb.run(['up', spec, '--yes'], { env: { ALOFT_GATEWAY_FLUSH_MS: '500' } });
  assert.equal(up.code, 0, up.stderr);

  const info = serverInfo(sb.home) as { apiUrl: string; gatewayUrl: string } | null;
  assert.ok(info?.gatewayUrl, 'server.json names the gateway');
  const status = async () => (JSON.parse((await sb.run(['status', '--json'])).stdout) as Array<Record<string, string>>)[0]!;
  const row = await status();
  assert.equal(row.url, `${info.gatewayUrl}/d/gw/`);

  const created = await sb.run(['keys', 'create', '--deployment', 'gw', '--expires', '30d', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const k = JSON.parse(created.stdout) as { key: string; prefix: string; deployment: string; expires_at: string };
  assert.match(k.key, /^aloft_[A-Za-z0-9_-]{43}$/);
  assert.equal(k.deployment, 'gw');
  const plain = await sb.run(['keys', 'create']);
  assert.match(plain.stdout.trim(), /^aloft_[A-Za-z0-9_-]{43}$/);
  const listed = await sb.run(['keys', 'list', '--json']);
  assert.ok(!listed.stdout.includes(k.key), 'keys are never listed');
  assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 2);

  const get = (key?: string) => fetch(`${row.url}api/info`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  assert.equal((await get()).status, 401);
  const first = await get(k.key);
  assert.equal(first.status, 200);
  assert.equal(((await first.json()) as { name: string }).name, 'hello');
  const lastRequestAt = Date.now();
  // On a slow machine the CLI calls above may outlast idle_timeout, so this first request may
  // already have woken it: count wakes from here.
  const wakes = async () => Number(/aloft_gateway_wakes_total\{deployment="gw"\} (\d+)/.exec(await (await fetch(`${info.apiUrl}/metrics`)).text())?.[1] ?? 0);
  const wakesBefore = await wakes();

  // No request for idle_timeout (3 s): the engine stops it, within idle_timeout + 10 s.
  await waitFor(async () => (await status()).status === 'stopped', 60_000, 'the idle stop');
  assert.ok(Date.now() - lastRequestAt < 3_000 + 10_000 + 5_000, `stopped after ${Date.now() - lastRequestAt} ms`);
  assert.equal((await sb.managedGroups()).length, 0, 'the process group is gone');

  // The next request wakes it and is answered by the fresh process.
  const woken = await get(k.key);
  assert.equal(woken.status, 200);
  const body = (await woken.json()) as { name: string; visits: number };
  assert.equal(body.name, 'hello');
  assert.equal(body.visits, 0, 'a new process answered');
  assert.equal((await status()).status, 'ready');
  assert.equal((await sb.managedGroups()).length, 1);

  const metrics = await (await fetch(`${info.apiUrl}/metrics`)).text();
  assert.match(metrics, /aloft_gateway_requests_total\{deployment="gw",status="200"\} 2/);
  assert.equal(await wakes(), wakesBefore + 1, 'one wake for the request after the idle stop');

  const revoked = await sb.run(['keys', 'revoke', `aloft_${k.prefix}`]);
  assert.equal(revoked.code, 0, revoked.stderr);
  const refused = await get(k.key);
  assert.equal(refused.status, 401);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'revoked_key');
  assert.equal((await sb.run(['keys', 'revoke', 'nosuchprefix'])).code, 2);

  assert.equal((await sb.run(['down', 'gw', '--yes'])).code, 0);
});
