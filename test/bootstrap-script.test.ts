/**
 * The bootstrap script's machinery, run for real with synthetic steps: stages reach the
 * control plane through the real agent, a failing step reports "failed" with the log
 * tail, and the next run resumes after the steps already done, then reports "ready".
 * systemctl is a fake on PATH that records its arguments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { agentRoutes } from '../src/api/routes/agent.js';
import { renderBootstrapScript } from '../src/bootstrap/script.js';
import { AGENT_SCRIPT, generateAgentToken } from '../src/bootstrap/index.js';

const run = promisify(execFile);

test('a failed step is reported with the log tail; the rerun resumes and ends ready', async (t) => {
  const events: Array<{ stage: string; message?: string; logTail?: string }> = [];
  const token = generateAgentToken();
  const app = Fastify();
  agentRoutes(app, {
    verifyAgentToken: async (id, tk) => id === 'dep_s' && tk === token,
    recordStage: async (_id, stage, message, logTail) => void events.push({ stage, message, logTail }),
    recordHeartbeat: async () => {},
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());

  const dir = await mkdtemp(join(tmpdir(), 'aloft-script-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = join(dir, 'state');
  const bin = join(dir, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${dir}/systemctl.calls'\n`, { mode: 0o755 });
  await writeFile(join(dir, 'agent.sh'), AGENT_SCRIPT, { mode: 0o700 });
  await writeFile(join(dir, 'agent.env'), `ALOFT_URL='${url}'\nALOFT_DEPLOYMENT_ID='dep_s'\nALOFT_AGENT_TOKEN='${token}'\n`, { mode: 0o600 });
  const script = renderBootstrapScript([
    { name: 'one', script: 'echo one-ran >> "$STATE/trace"\n' },
    { name: 'two', script: 'if [ -e "$STATE/fail-two" ]; then echo "E: the mirror is down"; return 3; fi\necho two-ran >> "$STATE/trace"\n' },
  ]);
  await writeFile(join(dir, 'bootstrap.sh'), script, { mode: 0o700 });
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    ALOFT_STATE_DIR: state,
    ALOFT_BOOTSTRAP_LOG: join(dir, 'bootstrap.log'),
    ALOFT_AGENT: join(dir, 'agent.sh'),
    ALOFT_RUN_DIR: join(dir, 'run'),
    ALOFT_AGENT_ENV: join(dir, 'agent.env'),
  };
  await mkdir(state);
  await writeFile(join(state, 'fail-two'), '');

  await assert.rejects(run('sh', [join(dir, 'bootstrap.sh')], { env, timeout: 60_000 }), (e: { code?: number }) => e.code === 3);
  assert.deepEqual(events.map((e) => e.stage), ['installing', 'failed']);
  assert.equal(events[1]!.message, 'step two failed (exit 3)');
  assert.match(events[1]!.logTail!, /step one: done\n.*step two: begin\nE: the mirror is down\n.*step two failed \(exit 3\)/);
  assert.ok(existsSync(join(state, 'step-one.done')));
  assert.ok(!existsSync(join(state, 'step-two.done')));
  assert.equal((await stat(join(dir, 'bootstrap.log'))).mode & 0o777, 0o600);

  await rm(join(state, 'fail-two'));
  events.length = 0;
  await run('sh', [join(dir, 'bootstrap.sh')], { env, timeout: 60_000 });
  assert.deepEqual(events.map((e) => e.stage), ['installing', 'ready']);
  assert.equal(await readFile(join(state, 'trace'), 'utf8'), 'one-ran\ntwo-ran\n');
  assert.match(await readFile(join(dir, 'bootstrap.log'), 'utf8'), /step one already done/);
  assert.ok(existsSync(join(state, 'bootstrap-done')));
  assert.match(await readFile(join(dir, 'systemctl.calls'), 'utf8'), /enable --now aloft-agent\.service/);
  assert.ok(existsSync(join(dir, 'run', 'ready-reported')), 'the agent will not say ready again in this boot');
});
