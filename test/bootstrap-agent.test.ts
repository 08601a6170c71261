/**
 * The real agent script, taken from rendered user-data, reports to a real control-plane
 * route (Fastify on 127.0.0.1) and its stages and heartbeats show up as events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, writeFile, appendFile, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { agentRoutes } from '../src/api/routes/agent.js';
import { hashAgentToken, verifyAgentToken, renderUserData, PATHS } from '../src/bootstrap/index.js';
import { CASES, fileIn, inputFor } from './helpers/bootstrap-fixtures.js';

const run = promisify(execFile);

type Event = { deploymentId: string; type: string; data: Record<string, unknown> };

async function controlPlane(t: import('node:test').TestContext, tokens: Map<string, string>) {
  const events: Event[] = [];
  const app = Fastify();
  agentRoutes(app, {
    verifyAgentToken: async (id, token) => {
      const h = tokens.get(id);
      return h !== undefined && verifyAgentToken(token, h);
    },
    recordStage: async (id, stage, message, logTail) => void events.push({ deploymentId: id, type: `stage.${stage}`, data: { message, logTail } }),
    recordHeartbeat: async (id, hb) => void events.push({ deploymentId: id, type: 'heartbeat', data: { ...hb } }),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return { url, events };
}

/** Renders user-data pointing at `url` and lays the agent's files out in a temp dir. */
async function installAgent(t: import('node:test').TestContext, url: string, tokens: Map<string, string>, extraEnv = '') {
  const c = CASES.find((x) => x.spec.kind === 'ollama')!;
  const input = inputFor(c, 'aws', { controlPlaneUrl: url });
  tokens.set(input.deployment.id, hashAgentToken(input.secrets.agentToken));
  const { userData } = renderUserData(input);
  const dir = await mkdtemp(join(tmpdir(), 'aloft-agent-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const script = fileIn(userData, PATHS.agentScript);
  const env = fileIn(userData, PATHS.agentEnv);
  assert.equal(script.permissions, '0700');
  assert.equal(env.permissions, '0600');
  await writeFile(join(dir, 'agent.sh'), script.content, { mode: 0o700 });
  await writeFile(join(dir, 'agent.env'), env.content + extraEnv, { mode: 0o600 });
  await mkdir(join(dir, 'state'));
  const vars = { ...process.env, ALOFT_AGENT_ENV: join(dir, 'agent.env'), ALOFT_BOOTSTRAP_LOG: join(dir, 'bootstrap.log'), ALOFT_STATE_DIR: join(dir, 'state'), ALOFT_RUN_DIR: join(dir, 'run') };
  const agent = (...args: string[]) => run('sh', [join(dir, 'agent.sh'), ...args], { env: vars, timeout: 60_000 });
  return { dir, input, agent, vars };
}

async function until<T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('stage reports, including a failure with the log tail, arrive as events', async (t) => {
  const tokens = new Map<string, string>();
  const cp = await controlPlane(t, tokens);
  const { dir, input, agent } = await installAgent(t, cp.url, tokens);
  const id = input.deployment.id;

  assert.equal((await agent('stage', 'installing')).stdout, '204');
  assert.equal((await agent('stage', 'pulling_model', 'qwen2.5-coder:32b "quoted" \\ back')).stdout, '204');
  await writeFile(join(dir, 'bootstrap.log'), 'step packages: begin\nE: Unable to locate package "nginx"\ttab\r\nstep packages failed (exit 100)\n');
  assert.equal((await agent('fail', 'step packages failed (exit 100)')).stdout, '204');

  assert.deepEqual(cp.events.map((e) => [e.deploymentId, e.type]), [
    [id, 'stage.installing'],
    [id, 'stage.pulling_model'],
    [id, 'stage.failed'],
  ]);
  assert.equal(cp.events[1]!.data.message, 'qwen2.5-coder:32b "quoted" \\ back');
  assert.equal(cp.events[2]!.data.message, 'step packages failed (exit 100)');
  assert.equal(cp.events[2]!.data.logTail, 'step packages: begin\nE: Unable to locate package "nginx"\ttab\nstep packages failed (exit 100)');
});

test('a wrong or revoked token is refused with 401 and records nothing', async (t) => {
  const tokens = new Map<string, string>();
  const cp = await controlPlane(t, tokens);
  const { input, agent } = await installAgent(t, cp.url, tokens);
  tokens.set(input.deployment.id, hashAgentToken('aloft_agent_revoked-and-replaced-by-another'));
  const r = await agent('stage', 'ready').catch((e: { stdout: string }) => e);
  assert.equal(r.stdout, '401');
  assert.equal(cp.events.length, 0);
});

test('heartbeats carry busy signals: an open request at the workload makes the machine busy', async (t) => {
  const tokens = new Map<string, string>();
  const cp = await controlPlane(t, tokens);
  // A stand-in for Ollama's port, holding one established connection (one request in flight).
  const held = new Set<Socket>();
  const server: Server = createServer((s) => void held.add(s)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const { agent } = await installAgent(t, cp.url, tokens, `ALOFT_WORKLOAD_PORT='${port}'\n`);
  t.after(() => {
    for (const s of held) s.destroy();
    return new Promise((r) => server.close(r));
  });

  assert.equal((await agent('heartbeat')).stdout, '204');
  const idle = cp.events.at(-1)!;
  assert.equal(idle.type, 'heartbeat');
  assert.equal(idle.data.ollamaRunning, 0);
  assert.equal(idle.data.gpuUtil, null);
  assert.equal(typeof idle.data.sshSessions, 'number');

  const sock: Socket = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  t.after(() => sock.destroy());
  assert.equal((await agent('heartbeat')).stdout, '204');
  const busy = cp.events.at(-1)!;
  assert.equal(busy.data.ollamaRunning, 1);
  assert.equal(busy.data.busy, true);
});

test('the loop says ready again after a restart, then sends heartbeats on its interval', async (t) => {
  const tokens = new Map<string, string>();
  const cp = await controlPlane(t, tokens);
  const server: Server = createServer((s) => s.end()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.after(() => new Promise((r) => server.close(r)));
  const port = (server.address() as { port: number }).port;
  const { dir, vars } = await installAgent(t, cp.url, tokens, `ALOFT_WORKLOAD_PORT='${port}'\nALOFT_HEARTBEAT_SECONDS='1'\n`);
  await appendFile(join(dir, 'state', 'bootstrap-done'), '');
  const child = spawn('sh', [join(dir, 'agent.sh'), 'loop'], { env: vars, stdio: 'ignore', detached: true });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {}
  });
  await until('two heartbeats after ready', () => (cp.events.filter((e) => e.type === 'heartbeat').length >= 2 ? true : undefined));
  assert.equal(cp.events[0]!.type, 'stage.ready');
  assert.equal(cp.events[0]!.data.message, 'restarted');
  assert.equal(cp.events.filter((e) => e.type === 'stage.ready').length, 1);
  assert.ok(existsSync(join(dir, 'run', 'ready-reported')), 'a restarted agent in the same boot will not say ready again');
});
