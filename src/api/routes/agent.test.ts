import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { agentRoutes, type AgentHeartbeat } from './agent.js';

function setup() {
  const stages: Array<{ id: string; stage: string; message?: string; logTail?: string }> = [];
  const beats: Array<{ id: string; hb: AgentHeartbeat }> = [];
  const app = Fastify();
  agentRoutes(app, {
    verifyAgentToken: async (id, token) => id === 'dep_1' && token === 'good-token-123456',
    recordStage: async (id, stage, message, logTail) => void stages.push({ id, stage, message, logTail }),
    recordHeartbeat: async (id, hb) => void beats.push({ id, hb }),
  });
  return { app, stages, beats };
}
const auth = { authorization: 'Bearer good-token-123456' };

test('a stage with the right token is recorded', async (t) => {
  const { app, stages } = setup();
  t.after(() => app.close());
  const r = await app.inject({ method: 'POST', url: '/v1/agent/dep_1/stage', headers: auth, payload: { stage: 'failed', message: 'x', log_tail: 'a\nb' } });
  assert.equal(r.statusCode, 204);
  assert.deepEqual(stages, [{ id: 'dep_1', stage: 'failed', message: 'x', logTail: 'a\nb' }]);
});

test('wrong, missing or other-deployment tokens are 401 with a JSON error, even with a bad body', async (t) => {
  const { app, stages } = setup();
  t.after(() => app.close());
  for (const [url, headers] of [
    ['/v1/agent/dep_1/stage', { authorization: 'Bearer wrong' }],
    ['/v1/agent/dep_1/stage', {}],
    ['/v1/agent/dep_2/stage', auth],
    ['/v1/agent/dep_1/stage', { authorization: 'Basic good-token-123456' }],
  ] as const) {
    const r = await app.inject({ method: 'POST', url, headers, payload: { stage: 'nonsense' } });
    assert.equal(r.statusCode, 401, url);
    assert.equal(r.json().error.code, 'unauthorized');
  }
  assert.equal(stages.length, 0);
});

test('bad bodies are 400 with a JSON error', async (t) => {
  const { app, beats, stages } = setup();
  t.after(() => app.close());
  const bad = [
    ['/v1/agent/dep_1/stage', { stage: 'dancing' }],
    ['/v1/agent/dep_1/stage', { stage: 'ready', message: 'x'.repeat(2001) }],
    ['/v1/agent/dep_1/stage', {}],
    ['/v1/agent/dep_1/heartbeat', { ssh_sessions: -1, gpu_util: null, ollama_running: 0, busy: false }],
    ['/v1/agent/dep_1/heartbeat', { ssh_sessions: 0, gpu_util: 101, ollama_running: 0, busy: false }],
    ['/v1/agent/dep_1/heartbeat', { ssh_sessions: 0, gpu_util: null, busy: false }],
  ] as const;
  for (const [url, payload] of bad) {
    const r = await app.inject({ method: 'POST', url, headers: auth, payload });
    assert.equal(r.statusCode, 400, JSON.stringify(payload));
    assert.equal(r.json().error.code, 'invalid_request');
  }
  assert.equal(beats.length + stages.length, 0);
});

test('a heartbeat is recorded with camelCase fields', async (t) => {
  const { app, beats } = setup();
  t.after(() => app.close());
  const r = await app.inject({
    method: 'POST',
    url: '/v1/agent/dep_1/heartbeat',
    headers: auth,
    payload: { ssh_sessions: 2, gpu_util: 37.5, ollama_running: 1, busy: true },
  });
  assert.equal(r.statusCode, 204);
  const idle = await app.inject({
    method: 'POST',
    url: '/v1/agent/dep_1/heartbeat',
    headers: auth,
    payload: { ssh_sessions: 0, gpu_util: null, ollama_running: 0, busy: false },
  });
  assert.equal(idle.statusCode, 204);
  const zero = await app.inject({ method: 'POST', url: '/v1/agent/dep_1/heartbeat', headers: auth, payload: { ssh_sessions: 0, gpu_util: 0, ollama_running: 0, busy: false } });
  assert.equal(zero.statusCode, 204);
  assert.deepEqual(beats, [
    { id: 'dep_1', hb: { busy: true, sshSessions: 2, gpuUtil: 37.5, ollamaRunning: 1 } },
    { id: 'dep_1', hb: { busy: false, sshSessions: 0, gpuUtil: null, ollamaRunning: 0 } },
    { id: 'dep_1', hb: { busy: false, sshSessions: 0, gpuUtil: 0, ollamaRunning: 0 } },
  ]);
});
