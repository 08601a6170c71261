/**
 * Issue 5 end to end, in one process: the real control plane (`runServer`: store, engine,
 * worker, API, gateway) with the Hetzner provider pointed at its stateful double. A
 * deployment on Hetzner boots with the user-data the server rendered; a stand-in for the
 * machine's key proxy (on 127.0.0.1, where the double puts every server) admits only the
 * Basic header whose password matches the htpasswd line in that user-data. Then the real
 * agent script from the user-data reports its stages and heartbeats to the running API.
 *
 * Covered: the engine passes plain cloud-config (agent, key proxy, the API URL, the agent
 * token, the certificate and key the control plane issued) to the provider; the stand-in
 * serves HTTPS with that certificate; wait-ready and the gateway reach it over https, trust
 * exactly that certificate (a proxy presenting another one is refused: never ready, 502)
 * and present `Authorization: Basic` to the key proxy; the key is never stored in the clear; stages become `agent` events; a busy heartbeat moves last_activity_at and is
 * recorded once per busy-state change; a wrong token and a destroyed deployment's token get 401.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHetznerDouble } from './doubles/hetzner-double.js';
import { fileIn } from './helpers/bootstrap-fixtures.js';
import { PATHS } from '../src/bootstrap/index.js';
import { sha256Crypt } from '../src/bootstrap/sha-crypt.js';
import { paths } from '../src/lib/paths.js';
import { generateSelfSigned } from '../src/lib/self-signed.js';

const run = promisify(execFile);

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The real control plane in this process, with Hetzner pointed at the double; api() calls it as the admin. */
async function startControlPlane(t: TestContext, home: string, double: { token: string; url: string }) {
  const saved = { ...process.env };
  t.after(() => {
    process.env = saved;
  });
  for (const k of Object.keys(process.env)) if (/^(AWS_|EXOSCALE_|ALOFT_PUBLIC_URL|ALOFT_DATABASE|ALOFT_READY_TIMEOUT)/.test(k)) delete process.env[k];
  Object.assign(process.env, { HCLOUD_TOKEN: double.token, HCLOUD_ENDPOINT: double.url, ALOFT_LOG_LEVEL: 'silent', ALOFT_POLL_MS: '100', ALOFT_LOOP_MS: '500' });
  const { runServer } = await import('../src/server/run.js');
  const server = await runServer({ home, port: 0, gateway: { port: 0 }, version: 'test' });
  t.after(() => server.close());
  const admin = (await readFile(paths(home).token, 'utf8')).trim();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
  };
  return { server, api };
}

/** True when `header` is Basic aloft:<password> and the password matches the htpasswd line. */
function basicMatches(header: string | undefined, htpasswd: string): boolean {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!m) return false;
  const [user, ...rest] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
  const [hUser, hash] = htpasswd.trim().split(/:(.*)/s) as [string, string];
  const salt = /^\$5\$rounds=\d+\$([^$]+)\$/.exec(hash)?.[1];
  return user === hUser && !!salt && `${hUser}:${sha256Crypt(rest.join(':'), salt, 1000)}` === htpasswd.trim();
}

test('cloud deployment: rendered user-data, Basic auth to the key proxy, agent stages and heartbeats recorded', { timeout: 180_000 }, async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'aloft-agentcb-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const double = await startHetznerDouble({ actionMs: 50, ipv4For: () => '127.0.0.1' });
  t.after(() => double.close());

  // The stand-in key proxy: what the gateway and the health probe reach at the server's address.
  const userDataOf = () => [...double.cloud.servers.values()].map((s) => s.userData).find((u): u is string => !!u);
  const seen: IncomingMessage['headers'][] = [];
  // It starts with a certificate of its own (not the one issued): the probe must refuse it.
  const other = await generateSelfSigned('aloft-impostor');
  const proxy = createHttpsServer({ key: other.keyPem, cert: other.certPem }, (req, res) => {
    const ud = userDataOf();
    const htpasswd = ud ? fileIn(ud, `${PATHS.proxyDir}/htpasswd`).content : '';
    if (!ud || !basicMatches(req.headers.authorization, htpasswd)) return void res.writeHead(401).end();
    seen.push(req.headers);
    // Ollama's model list answers the health check (ollama: the model is listed).
    const body = req.url === '/api/tags' ? { models: [{ name: 'qwen2.5:0.5b', model: 'qwen2.5:0.5b' }] } : { path: req.url };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => (proxy.close(r), proxy.closeAllConnections())));
  let refusedHandshakes = 0;
  proxy.on('tlsClientError', () => refusedHandshakes++);
  /** Serve `pair` from now on; open connections are closed so nobody keeps the old one. */
  const present = (pair: { certPem: string; keyPem: string }) => {
    proxy.setSecureContext({ key: pair.keyPem, cert: pair.certPem });
    proxy.closeAllConnections();
  };
  const proxyPort = (proxy.address() as { port: number }).port;

  const { server, api } = await startControlPlane(t, home, double);

  const yaml = `kind: ollama\nname: web\nmodel: qwen2.5:0.5b\nport: ${proxyPort}\nresources:\n  cpus: 2+\nplacement:\n  providers: [hetzner]\n`;
  const created = await api('POST', '/v1/deployments', { yaml });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  // The machine boots with the issued certificate and key in its user-data; until the
  // stand-in serves them, the probe refuses its handshakes and the deployment stays booting.
  const issued = await until('user-data', () => userDataOf());
  const certPem = fileIn(issued, `${PATHS.proxyDir}/cert.pem`).content;
  const keyPem = fileIn(issued, `${PATHS.proxyDir}/key.pem`).content;
  assert.match(certPem, /-----BEGIN CERTIFICATE-----/);
  assert.match(keyPem, /-----BEGIN PRIVATE KEY-----/);
  await until('three refused probes', () => (refusedHandshakes >= 3 ? true : undefined));
  const booting = (await api('GET', '/v1/deployments/web')).body;
  assert.ok(['provisioning', 'booting'].includes(booting.status), `not ready through another certificate: ${booting.status}`);
  assert.equal(seen.length, 0, 'no request crossed a refused handshake');
  present({ certPem, keyPem });

  const dep = await until('ready', async () => {
    const d = (await api('GET', '/v1/deployments/web')).body;
    assert.notEqual(d.status, 'failed', d.status_reason);
    return d.status === 'ready' ? d : undefined;
  });
  assert.equal(dep.provider, 'hetzner');
  assert.equal(dep.endpoint, `https://127.0.0.1:${proxyPort}`);
  // The certificate is public and kept; its key is stored only sealed.
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(paths(home).db, { readonly: true });
  const row = db.prepare('select tls_cert from deployments where id = ?').get(dep.id) as { tls_cert: string };
  db.close();
  assert.equal(row.tls_cert.trim(), certPem.trim());
  for (const f of [paths(home).db, `${paths(home).db}-wal`]) {
    const bytes = await readFile(f).catch(() => Buffer.alloc(0));
    assert.ok(!bytes.includes('PRIVATE KEY'), `no clear private key in ${f}`);
  }

  // The engine handed the provider the plain cloud-config the server rendered.
  const ud = userDataOf()!;
  assert.match(ud, /^#cloud-config\n/);
  assert.ok(fileIn(ud, PATHS.agentScript).content.includes('/v1/agent/'));
  assert.match(fileIn(ud, `${PATHS.proxyDir}/server.conf.template`).content, new RegExp(`listen @LISTEN@:${proxyPort} ssl;`));
  const agentEnv = fileIn(ud, PATHS.agentEnv).content;
  assert.ok(agentEnv.includes(server.apiUrl), 'the agent reports to the running API');
  assert.ok(agentEnv.includes(dep.id));
  assert.ok(seen.length > 0, 'wait-ready reached the key proxy with the Basic header');

  // The gateway forwards with Basic auth, never the client's key.
  const key = (await api('POST', '/v1/keys', { deployment: 'web' })).body.key as string;
  seen.length = 0;
  const viaGateway = await fetch(`${server.gatewayUrl}/d/web/hello`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(viaGateway.status, 200);
  assert.deepEqual(await viaGateway.json(), { path: '/hello' });
  assert.equal(seen.length, 1);
  assert.match(String(seen[0]!.authorization), /^Basic /);
  assert.ok(!JSON.stringify(seen[0]).includes(key));

  // A proxy presenting any other certificate is refused: 502, and nothing reaches it.
  present(other);
  seen.length = 0;
  const refused = await fetch(`${server.gatewayUrl}/d/web/hello`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(refused.status, 502);
  assert.equal(seen.length, 0);
  present({ certPem, keyPem });
  const again = await fetch(`${server.gatewayUrl}/d/web/hello`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(again.status, 200);
  await again.arrayBuffer();

  // The real agent script from the user-data, against the running control plane.
  const dir = await mkdtemp(join(tmpdir(), 'aloft-agentcb-agent-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const busyPort = createTcpServer(() => {});
  await new Promise<void>((r) => busyPort.listen(0, '127.0.0.1', r));
  const held: Socket[] = [];
  t.after(() => {
    for (const s of held) s.destroy();
    return new Promise((r) => busyPort.close(r));
  });
  const workloadPort = (busyPort.address() as { port: number }).port;
  await writeFile(join(dir, 'agent.sh'), fileIn(ud, PATHS.agentScript).content, { mode: 0o700 });
  await writeFile(join(dir, 'agent.env'), `${agentEnv}ALOFT_WORKLOAD_PORT='${workloadPort}'\n`, { mode: 0o600 });
  await mkdir(join(dir, 'state'));
  const vars = { ...process.env, ALOFT_AGENT_ENV: join(dir, 'agent.env'), ALOFT_BOOTSTRAP_LOG: join(dir, 'bootstrap.log'), ALOFT_STATE_DIR: join(dir, 'state'), ALOFT_RUN_DIR: join(dir, 'run') };
  const agent = async (...args: string[]) => (await run('sh', [join(dir, 'agent.sh'), ...args], { env: vars, timeout: 60_000 }).catch((e: { stdout: string }) => e)).stdout;

  assert.equal(await agent('stage', 'installing'), '204');
  await writeFile(join(dir, 'bootstrap.log'), 'step packages: begin\nE: no nginx\nstep packages failed (exit 100)\n');
  assert.equal(await agent('fail', 'step packages failed (exit 100)'), '204');
  assert.equal(await agent('stage', 'ready', 'tls_sha256=ab'), '204');

  const agentEvents = async () => ((await api('GET', '/v1/deployments/web/events')).body as Array<{ type: string; message: string; data: any }>).filter((e) => e.type === 'agent');
  const stages = (await agentEvents()).filter((e) => e.data?.stage);
  assert.deepEqual(stages.map((e) => e.data.stage), ['installing', 'failed', 'ready']);
  assert.equal(stages[1]!.message, 'stage failed: step packages failed (exit 100)');
  assert.match(stages[1]!.data.log_tail, /E: no nginx/);
  assert.equal(stages[2]!.data.log_tail, undefined);

  // Idle heartbeats: one event for the first, none for a repeat, last_activity_at unchanged.
  const activity = async () => (await api('GET', '/v1/deployments/web')).body.last_activity_at as string;
  const before = await activity();
  assert.equal(await agent('heartbeat'), '204');
  assert.equal(await agent('heartbeat'), '204');
  assert.equal(await activity(), before);
  // One request in flight at the workload makes the machine busy.
  const sock = connect(workloadPort, '127.0.0.1');
  held.push(sock);
  await new Promise((r) => sock.once('connect', r));
  await new Promise((r) => setTimeout(r, 20)); // last_activity_at is in ms; the ISO view too
  assert.equal(await agent('heartbeat'), '204');
  assert.equal(await agent('heartbeat'), '204');
  const after = await activity();
  assert.ok(Date.parse(after) > Date.parse(before), `busy heartbeat moved last_activity_at (${before} → ${after})`);
  const beats = (await agentEvents()).filter((e) => e.message.startsWith('heartbeat'));
  assert.deepEqual(beats.map((e) => e.data.busy), [false, true]);
  assert.equal(beats[1]!.data.ollama_running, 1);

  // A wrong token: 401, nothing recorded.
  const count = (await agentEvents()).length;
  const wrong = await fetch(`${server.apiUrl}/v1/agent/${dep.id}/stage`, { method: 'POST', headers: { authorization: 'Bearer aloft_agent_wrong', 'content-type': 'application/json' }, body: '{"stage":"ready"}' });
  assert.equal(wrong.status, 401);
  assert.equal((await agentEvents()).length, count);

  // Destroyed: the machine's own token is revoked.
  assert.equal((await api('DELETE', '/v1/deployments/web')).status, 202);
  await until('destroyed', async () => ((await api('GET', '/v1/deployments?all=true')).body.find((d: { name: string; status: string }) => d.name === 'web')?.status === 'destroyed' ? true : undefined));
  assert.equal(await agent('stage', 'ready'), '401');
});

test('an agent reporting a failed bootstrap fails the deployment at once, not after the ready timeout, and nothing is left', { timeout: 120_000 }, async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'aloft-agentfail-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const double = await startHetznerDouble({ actionMs: 50, ipv4For: () => '127.0.0.1' });
  t.after(() => double.close());
  // Nothing listens where the key proxy would: the machine never answers its health check.
  const closed = createTcpServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise((r) => closed.close(r));

  // The ready timeout stays at its default (10 minutes): only the agent's report can end this early.
  const { server, api } = await startControlPlane(t, home, double);
  const yaml = `kind: ollama\nname: broken\nmodel: qwen2.5:0.5b\nport: ${port}\nplacement:\n  providers: [hetzner]\n`;
  assert.equal((await api('POST', '/v1/deployments', { yaml })).status, 201);

  const ud = await until('user-data', () => [...double.cloud.servers.values()].map((s) => s.userData).find((u): u is string => !!u));
  const env = fileIn(ud, PATHS.agentEnv).content;
  const id = /^ALOFT_DEPLOYMENT_ID='([^']+)'$/m.exec(env)![1]!;
  const token = /^ALOFT_AGENT_TOKEN='([^']+)'$/m.exec(env)![1]!;
  await until('booting', async () => ((await api('GET', '/v1/deployments/broken')).body.status === 'booting' ? true : undefined));
  const reported = await fetch(`${server.apiUrl}/v1/agent/${id}/stage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ stage: 'failed', message: 'step ollama failed (exit 22)', log_tail: 'step ollama: begin\ncurl: (22) 404\n' }),
  });
  assert.equal(reported.status, 204);

  const failed = await until('failed', async () => {
    const d = (await api('GET', '/v1/deployments/broken')).body;
    return d.status === 'failed' ? d : undefined;
  }, 30_000);
  assert.match(failed.status_reason, /bootstrap failed \(step ollama failed \(exit 22\)\); its bootstrap log: aloft events broken/);
  await until('no server left', () => (double.cloud.servers.size === 0 ? true : undefined), 30_000);
  const events = (await api('GET', '/v1/deployments/broken/events')).body as Array<{ type: string; data: any }>;
  assert.match(events.find((e) => e.data?.stage === 'failed')!.data.log_tail, /curl: \(22\) 404/);
});
