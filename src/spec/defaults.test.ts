import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSpec } from './parse.js';
import { DEFAULT_WAKE_TIMEOUT_MS, resolveSpec } from './defaults.js';

const resolveYaml = (yaml: string, baseDir?: string) => resolveSpec(parseSpec(yaml), baseDir);

describe('resolveSpec defaults', () => {
  test('an ollama spec with nothing but a model', () => {
    const r = resolveYaml('kind: ollama\nname: qwen\nmodel: qwen2.5:0.5b\n');
    assert.equal(r.kind, 'ollama');
    if (r.kind !== 'ollama') return;
    assert.equal(r.model, 'qwen2.5:0.5b');
    assert.equal(r.port, 11434);
    assert.equal(r.health, '/api/tags');
    assert.equal(r.context, null);
    assert.deepEqual(r.lifecycle, {
      idleTimeoutMs: null,
      onIdle: 'stop',
      ttlMs: null,
      wakeOnRequest: true,
      wakeTimeoutMs: DEFAULT_WAKE_TIMEOUT_MS,
      snapshotOnDestroy: false,
    });
    assert.equal(DEFAULT_WAKE_TIMEOUT_MS, 300_000);
    assert.deepEqual(r.access, { gateway: true, public: false, tailscale: null, ports: [] });
    assert.deepEqual(r.placement, { providers: null, regions: null, spot: false, maxHourlyUsd: null });
    assert.deepEqual(r.resources, { gpu: null, minCpus: null, minMemoryGb: null, diskGb: null, arch: null });
    assert.deepEqual(r.env, {});
  });

  test('a service: health /, port 8080, workdir defaults to baseDir', () => {
    const r = resolveYaml('kind: service\nname: web\ncommand: node server.js\n', '/srv/specs');
    assert.equal(r.kind, 'service');
    if (r.kind !== 'service') return;
    assert.equal(r.health, '/');
    assert.equal(r.port, 8080);
    assert.equal(r.workdir, '/srv/specs');
    assert.equal(r.image, null);
    assert.equal(r.lifecycle.wakeOnRequest, true);
  });

  test('workdir: relative against baseDir, absolute kept, ~ expanded, baseDir defaults to cwd', () => {
    const svc = (workdir: string, base?: string) => {
      const r = resolveYaml(`kind: service\nname: web\ncommand: x\nworkdir: ${workdir}\n`, base);
      return r.kind === 'service' ? r.workdir : '';
    };
    assert.equal(svc('./hello', '/srv/specs'), '/srv/specs/hello');
    assert.equal(svc('../app', '/srv/specs'), '/srv/app');
    assert.equal(svc('/opt/app', '/srv/specs'), '/opt/app');
    assert.equal(svc('~/app', '/srv/specs'), join(homedir(), 'app'));
    assert.equal(svc('hello'), resolve(process.cwd(), 'hello'));
  });

  test('devbox and app do not wake on request by default; devbox has no port', () => {
    const box = resolveYaml('kind: devbox\nname: box\nssh_keys: [keys/me.pub, "ssh-ed25519 AAAAC3Nz me"]\n', '/specs');
    assert.equal(box.lifecycle.wakeOnRequest, false);
    assert.equal(box.port, null);
    assert.equal(box.health, null);
    if (box.kind !== 'devbox') return assert.fail('devbox');
    assert.equal(box.user, 'aloft');
    assert.deepEqual(box.sshKeys, ['/specs/keys/me.pub', 'ssh-ed25519 AAAAC3Nz me']);

    const app = resolveYaml('kind: app\nname: web\nrepository: https://example.org/r.git\ncommand: npm start\n');
    assert.equal(app.lifecycle.wakeOnRequest, false);
    if (app.kind !== 'app') return assert.fail('app');
    assert.deepEqual([app.port, app.health, app.ref, app.build], [8080, '/', null, null]);
  });
});

describe('resolveSpec conversions', () => {
  const full = `kind: ollama
name: coder
model: qwen2.5-coder:32b
context: 8192
port: 11500
env: {OLLAMA_KEEP_ALIVE: "-1"}
resources: {gpu: "A100:2", cpus: 8+, memory: 64GB+, disk: 200, arch: x86_64}
placement: {providers: [aws, gcp], regions: [eu-*], spot: true, max_hourly_usd: 3.5}
lifecycle: {idle_timeout: 30m, on_idle: destroy, ttl: 8h, wake_on_request: false, wake_timeout: 90, snapshot_on_destroy: true}
access: {gateway: false, public: true, tailscale: {auth_key_env: TS_AUTHKEY}, ports: [22]}
`;
  test('every field converted', () => {
    const r = resolveYaml(full);
    if (r.kind !== 'ollama') return assert.fail('ollama');
    assert.deepEqual(r.resources, { gpu: { name: 'A100', count: 2 }, minCpus: 8, minMemoryGb: 64, diskGb: 200, arch: 'x86_64' });
    assert.deepEqual(r.placement, { providers: ['aws', 'gcp'], regions: ['eu-*'], spot: true, maxHourlyUsd: 3.5 });
    assert.deepEqual(r.lifecycle, {
      idleTimeoutMs: 1_800_000,
      onIdle: 'destroy',
      ttlMs: 28_800_000,
      wakeOnRequest: false,
      wakeTimeoutMs: 90_000,
      snapshotOnDestroy: true,
    });
    assert.deepEqual(r.access, { gateway: false, public: true, tailscale: { authKeyEnv: 'TS_AUTHKEY' }, ports: [22] });
    assert.deepEqual([r.port, r.context, r.env], [11500, 8192, { OLLAMA_KEEP_ALIVE: '-1' }]);
  });

  test('keeps the spec as written and shares no arrays with it', () => {
    const spec = parseSpec(full);
    const r = resolveSpec(spec);
    assert.equal(r.spec, spec);
    r.placement.providers!.push('oci');
    r.env.X = 'y';
    assert.deepEqual(spec.placement?.providers, ['aws', 'gcp']);
    assert.equal('X' in (spec.kind === 'ollama' ? (spec.env ?? {}) : {}), false);
  });

  test('gpu by memory and any', () => {
    const gpu = (g: string) => resolveYaml(`kind: ollama\nname: q\nmodel: q\nresources: {gpu: "${g}"}\n`).resources.gpu;
    assert.deepEqual(gpu('24GB+'), { count: 1, minVramGb: 24 });
    assert.deepEqual(gpu('any'), { any: true, count: 1 });
  });
});
