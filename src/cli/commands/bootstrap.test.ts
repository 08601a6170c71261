import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register, renderSpecText } from './bootstrap.js';
import { CliError } from '../errors.js';

const base = { provider: 'aws', os: 'ubuntu-24.04', port: '8443', controlPlane: 'https://cp.example.com' };
const OLLAMA = 'kind: ollama\nname: qwen\nmodel: qwen2.5:0.5b\nresources:\n  gpu: L4:1\nenv:\n  OLLAMA_KEEP_ALIVE: "30m"\n';

test('masked by default, secrets only with --reveal', async () => {
  const masked = await renderSpecText(OLLAMA, base);
  assert.match(masked.text, /^#cloud-config\n/);
  assert.match(masked.text, /ALOFT_AGENT_TOKEN='<redacted:agentToken>'/);
  assert.match(masked.text, /step nvidia/);
  assert.doesNotMatch(masked.text, /aloft_agent_[A-Za-z0-9_-]{43}/);
  const shown = await renderSpecText(OLLAMA, { ...base, reveal: true });
  assert.match(shown.text, /ALOFT_AGENT_TOKEN='aloft_agent_[A-Za-z0-9_-]{43}'/);
  assert.deepEqual(shown.ingressPorts, [8443]);
});

test('without --port the key proxy gets the port `aloft up` would give it', async () => {
  const { port: _, ...noPort } = base;
  assert.deepEqual((await renderSpecText(OLLAMA, noPort)).ingressPorts, [8443]);
  assert.deepEqual((await renderSpecText(`${OLLAMA}port: 11500\n`, noPort)).ingressPorts, [11500], "an ollama spec's port is its proxy's");
  // A service listens on its own port behind the proxy: the proxy moves off it.
  const svc = 'kind: service\nname: web\ncommand: python3 -m http.server 8443\nport: 8443\n';
  assert.deepEqual((await renderSpecText(svc, noPort)).ingressPorts, [9443]);
  assert.deepEqual((await renderSpecText(svc, { ...noPort, port: '7000' })).ingressPorts, [7000]);
});

test('bad input is a usage error (exit 2) naming the problem', async () => {
  const reject = async (text: string, opts: object, re: RegExp) =>
    assert.rejects(renderSpecText(text, { ...base, ...opts }), (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message));
  await reject('kind: ollama\nname: qwen\n', {}, /model: missing required field/);
  await reject(': : :\n  - [', {}, /invalid YAML/);
  await reject(OLLAMA, { provider: 'nimbus' }, /unknown provider "nimbus"/);
  await reject(OLLAMA, { os: 'windows' }, /--os must be/);
  await reject('kind: devbox\nname: box\nssh_keys: [k]\n', {}, /spec>:3:12: ssh_keys\[0\]: expected an OpenSSH public key/);
  await reject('kind: devbox\nname: box\nssh_keys: ["ssh-ed25519 AAAAC3Nza me@host"]\naccess:\n  tailscale:\n    auth_key_env: NO_SUCH_VAR_ALOFT\n', { reveal: true }, /NO_SUCH_VAR_ALOFT/);
});

test('a dev box\'s .pub paths are read relative to the spec; a missing one is a usage error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'aloft-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'me.pub'), '# mine\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey me@host\n');
  const spec = 'kind: devbox\nname: box\nssh_keys: [./me.pub, "ssh-rsa AAAAB3Nza other@host"]\n';
  const r = await renderSpecText(spec, base, {}, dir);
  assert.match(r.text, /ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey me@host\n\s+ssh-rsa AAAAB3Nza other@host/);
  assert.deepEqual(r.ingressPorts, [22]);
  await assert.rejects(renderSpecText('kind: devbox\nname: box\nssh_keys: [./gone.pub]\n', base, {}, dir), /ssh key file \.\/gone\.pub: not found/);
});

test('the command prints the masked user-data for a spec file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'aloft-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'aloft.yaml'), OLLAMA);
  const out: string[] = [];
  const write = process.stdout.write;
  const errWrite = process.stderr.write;
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(['node', 'aloft', 'bootstrap', 'render', join(dir, 'aloft.yaml'), '--provider', 'hetzner', '--json']);
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
  const j = JSON.parse(out.join(''));
  assert.equal(j.provider, 'hetzner');
  assert.equal(j.encoding, 'plain');
  assert.ok(j.bytes <= j.limit);
  assert.match(j.userData, /<redacted:upstreamSecretHash>/);
});
