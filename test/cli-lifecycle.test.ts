/**
 * The full life of a deployment through the real CLI as a child process: up, status,
 * logs, stop, start, down — and the bad inputs, each with its one-line error and exit code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, helloSpec, sandbox, serverInfo } from './helpers/cli.js';

test('hello.yaml: up, status, logs, stop, start, down through the CLI', async (t) => {
  const sb = sandbox(t);
  const spec = sb.writeSpec('hello.yaml', helloSpec('hello'));
  const up = await sb.run(['up', spec, '--yes']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /provisioning/);
  assert.match(up.stderr, /✓ create-machine \(\d/);
  // `up` prints the gateway URL; the machine's own endpoint is in status.
  const url = /is ready at (http:\/\/\S+)/.exec(up.stdout)?.[1];
  assert.match(url ?? '', /\/d\/hello\/$/, up.stdout);

  const st = await sb.run(['status', '--json']);
  assert.equal(st.code, 0, st.stderr);
  const rows = JSON.parse(st.stdout) as Array<Record<string, unknown>>;
  assert.equal(rows.length, 1);
  for (const k of ['name', 'kind', 'provider', 'region', 'status', 'endpoint', 'created_at']) assert.ok(k in rows[0]!, k);
  assert.equal(rows[0]!.status, 'ready');
  assert.equal(rows[0]!.provider, 'local');
  const endpoint = rows[0]!.endpoint as string;
  assert.equal(rows[0]!.url, url);
  const page = await (await fetch(new URL('/api/info', endpoint))).json();
  assert.equal((page as { name?: string }).name, 'hello');
  assert.ok(!JSON.stringify(rows).includes('upstream_secret'), 'no secrets in the API');

  const table = await sb.run(['status']);
  assert.match(table.stdout, /^NAME\s+KIND\s+PROVIDER/m);

  const logs = await sb.run(['logs', 'hello', '-n', '20']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /listening/);

  const deploymentId = rows[0]!.id as string;
  assert.equal((await sb.managedGroups(deploymentId)).length, 1);

  const stop = await sb.run(['stop', 'hello']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /hello stopped/);
  assert.equal((await sb.managedGroups(deploymentId)).length, 0, 'stop ends the process group');
  await assert.rejects(fetch(new URL('/healthz', endpoint)));

  const start = await sb.run(['start', 'hello']);
  assert.equal(start.code, 0, start.stderr);
  assert.equal((await fetch(new URL('/healthz', endpoint))).status, 200);

  // The timeline: every transition, in order, with the steps between.
  const events = await sb.run(['events', 'hello']);
  assert.equal(events.code, 0, events.stderr);
  const transitions = events.stdout.split('\n').filter((l) => l.includes(' → ')).map((l) => l.split(/\s+/)[3]);
  assert.deepEqual(transitions, ['queued', 'provisioning', 'booting', 'ready', 'stopping', 'stopped', 'starting', 'ready']);
  assert.match(events.stdout, /step\s+wait-ready/);
  const eventsJson = JSON.parse((await sb.run(['events', 'hello', '--json'])).stdout) as Array<{ type: string }>;
  assert.equal(eventsJson.filter((e) => e.type === 'status').length, transitions.length);

  const down = await sb.run(['down', 'hello', '--yes']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal((await sb.managedGroups()).length, 0, 'nothing left running');
  const after = JSON.parse((await sb.run(['status', '--json'])).stdout);
  assert.deepEqual(after, []);

  const stopServer = await sb.run(['server', 'stop']);
  assert.match(stopServer.stdout, /Stopped the control plane/);
  assert.equal(serverInfo(sb.home), null);
});

test('bad input: one-line errors, exit code 2 (1 at run time), nothing half-made', async (t) => {
  const sb = sandbox(t);
  const noStack = (r: { stderr: string }) => assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace: ${r.stderr}`);

  const missing = await sb.run(['up', join(sb.home, 'nope.yaml'), '--yes']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.yaml: no such file/);

  const broken = await sb.run(['up', sb.writeSpec('broken.yaml', 'kind: service\nname: [oops\n'), '--yes']);
  assert.equal(broken.code, 2, broken.stderr);
  assert.match(broken.stderr, /^error: .*broken\.yaml:\d+/m);
  noStack(broken);

  const kind = await sb.run(['up', sb.writeSpec('kind.yaml', 'kind: servce\nname: x1\ncommand: "true"\n'), '--yes']);
  assert.equal(kind.code, 2);
  assert.match(kind.stderr, /kind\.yaml:1:\d+.*service/);

  const typo = await sb.run(['up', sb.writeSpec('typo.yaml', helloSpec('typo').replace('health:', 'helth:')), '--yes']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /typo\.yaml:\d+:\d+: .*helth.*did you mean "health"/);

  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const taken = await sb.run(['up', sb.writeSpec('taken.yaml', helloSpec('taken') + `port: ${port}\n`), '--yes']);
  assert.equal(taken.code, 2, taken.stderr);
  assert.match(taken.stderr, new RegExp(`port ${port} is already in use`));

  const exits = await sb.run(['up', sb.writeSpec('exits.yaml', helloSpec('exits').replace('node server.js', 'echo boom >&2; exit 3')), '--yes']);
  assert.equal(exits.code, 1, exits.stderr);
  assert.match(exits.stderr, /exits failed: .*exited with code 3/);
  noStack(exits);

  const ok = await sb.run(['up', sb.writeSpec('dup.yaml', helloSpec('dup')), '--yes']);
  assert.equal(ok.code, 0, ok.stderr);
  const dup = await sb.run(['up', sb.writeSpec('dup.yaml', helloSpec('dup')), '--yes']);
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /a deployment named dup already exists/);

  const rows = JSON.parse((await sb.run(['status', '--json'])).stdout) as Array<{ name: string; status: string }>;
  assert.deepEqual(rows.map((r) => `${r.name}:${r.status}`).sort(), ['dup:ready', 'exits:failed']);
  const groups = await sb.managedGroups();
  assert.equal(groups.length, 1, 'only dup runs; the failed one left no process');

  const unknown = await sb.run(['stop', 'nobody']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no deployment named nobody/);
  const badFlag = await sb.run(['status', '--bogus']);
  assert.equal(badFlag.code, 2);
  void ROOT;
});

test('a bad ALOFT_INSTALLATION_ID: the server refuses to start with one line (it would be an invalid cloud label)', async (t) => {
  const sb = sandbox(t);
  const r = await sb.run(['server'], { timeoutMs: 30_000, env: { ALOFT_INSTALLATION_ID: 'two words' } });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim(), 'error: ALOFT_INSTALLATION_ID takes letters, digits and inner dashes (at most 63), not "two words"');
  assert.equal(serverInfo(sb.home), null);
});
