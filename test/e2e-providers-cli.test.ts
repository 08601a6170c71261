/**
 * The cloud providers through the real `aloft` CLI and a real `aloft server` (child
 * processes), with credentials pointing at the stateful doubles: `providers check`, `up
 * --provider <name>` of examples/ollama-cpu.yaml ending ready, capacity failover, `down`
 * leaving nothing in the cloud, and the bad-input answers of `--provider`.
 *
 * "Ready" means what it means in production: the doubles give machines the address
 * 127.0.0.1, and a small HTTP server in this process plays the machine's Ollama on the
 * spec's port (`/api/tags` lists the model), so the control plane's health probe reaches
 * a workload that answers.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pairInUserData, startTlsStandIn, type TlsStandIn } from './helpers/tls-stand-in.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sandbox, serverInfo, waitFor, type Sandbox } from './helpers/cli.js';
import { startHetznerDouble, type HetznerDouble } from './doubles/hetzner-double.js';
import { startExoscaleDouble, type ExoscaleDouble } from './doubles/exoscale-double.js';
import { startEc2Double, TEST_KEY, type Ec2Double } from './doubles/ec2-double.js';

const MODEL = 'qwen2.5:0.5b';
let ollama: TlsStandIn;
let ollamaPort: number;
let hetzner: HetznerDouble;
let exoscale: ExoscaleDouble;
let ec2: Ec2Double;
const EXO = { key: 'EXOtest0123456789abcdef', secret: 'exo-secret-for-tests-0123456789' };

before(async () => {
  hetzner = await startHetznerDouble({ actionMs: 50, ipv4For: () => '127.0.0.1' });
  exoscale = await startExoscaleDouble({ key: EXO.key, secret: EXO.secret, publicIp: () => '127.0.0.1' });
  ec2 = await startEc2Double({ publicIp: () => '127.0.0.1' });
  // The machine's key proxy: HTTPS with the certificate the control plane issued to the
  // newest live machine (its user-data, in whichever cloud the current test uses).
  const issued = () =>
    [
      ...[...hetzner.cloud.servers.values()].map((s) => s.userData),
      ...[...exoscale.state.instances.values()].filter((i) => i.state !== 'destroying').map((i) => i.userData),
      ...[...ec2.world.instances.values()].filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down').map((i) => i.userData),
    ]
      .map((u) => pairInUserData(u))
      .filter(Boolean)
      .at(-1);
  ollama = await startTlsStandIn(issued, (req, res) => {
    if (req.url === '/api/tags') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ models: [{ name: MODEL, model: MODEL }] }));
    else res.writeHead(404).end();
  });
  ollamaPort = ollama.port;
});

after(async () => {
  await hetzner?.close();
  await exoscale?.close();
  await ec2?.close();
  await ollama?.close();
});

/** Credentials of all three clouds, each pointing at its double. */
function cloudEnv(): NodeJS.ProcessEnv {
  return {
    HCLOUD_TOKEN: hetzner.token,
    HCLOUD_ENDPOINT: hetzner.url,
    EXOSCALE_API_KEY: EXO.key,
    EXOSCALE_API_SECRET: EXO.secret,
    EXOSCALE_ZONE: exoscale.zone,
    EXOSCALE_API_ENDPOINT: exoscale.url,
    AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_EC2: ec2.url,
    AWS_ENDPOINT_URL_SSM: ec2.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    ALOFT_READY_TIMEOUT_MS: '60000',
  };
}

/** A sandbox whose server runs with the clouds' credentials, started and answering. */
async function cloudSandbox(t: Parameters<typeof sandbox>[0]): Promise<Sandbox> {
  const s = sandbox(t);
  Object.assign(s.env, cloudEnv());
  s.startServer();
  await waitFor(async () => {
    const info = serverInfo(s.home);
    if (!info) return false;
    return fetch(`${info.apiUrl}/healthz`).then((r) => r.ok).catch(() => false);
  }, 30_000, 'the control plane');
  return s;
}

/** examples/ollama-cpu.yaml under another name, on the port the fake Ollama listens on. */
function ollamaCpu(s: Sandbox, name: string): string {
  const text = readFileSync(join(ROOT, 'examples/ollama-cpu.yaml'), 'utf8').replace(/^name: .*$/m, `name: ${name}`);
  return s.writeSpec(`${name}.yaml`, `${text}\nport: ${ollamaPort}\n`);
}

async function deploymentId(s: Sandbox, name: string): Promise<string> {
  const r = await s.run(['status', '--json', '--all']);
  assert.equal(r.code, 0, r.stderr);
  const dep = (JSON.parse(r.stdout) as Array<{ name: string; id: string }>).find((d) => d.name === name);
  assert.ok(dep, r.stdout);
  return dep.id;
}

function hetznerOf(id: string) {
  const has = (l: Record<string, string>) => l['aloft-deployment'] === id;
  const c = hetzner.cloud;
  return {
    servers: [...c.servers.values()].filter((x) => has(x.labels)),
    firewalls: [...c.firewalls.values()].filter((x) => has(x.labels)),
    volumes: [...c.volumes.values()].filter((x) => has(x.labels)),
    keys: [...c.sshKeys.values()].filter((x) => has(x.labels)),
  };
}

describe('providers through the CLI', { timeout: 300_000 }, () => {
  test('providers check --json: hetzner, exoscale and aws ok through the server; no secret printed', async (t) => {
    const s = await cloudSandbox(t);
    const r = await s.run(['providers', 'check', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const rows = JSON.parse(r.stdout) as Array<{ provider: string; configured: boolean; ok: boolean; message: string; quota?: Record<string, unknown> }>;
    for (const name of ['local', 'hetzner', 'exoscale', 'aws']) {
      const row = rows.find((x) => x.provider === name);
      assert.ok(row, `${name} listed: ${r.stdout}`);
      assert.equal(row.configured, true, name);
      assert.equal(row.ok, true, `${name}: ${row.message}`);
    }
    assert.ok(rows.find((x) => x.provider === 'exoscale')!.quota, 'Exoscale reports its quota');
    for (const secret of [hetzner.token, EXO.secret, TEST_KEY.secretAccessKey]) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'no secret printed');
    // The server answered: its log shows the check reached each double.
    assert.ok(hetzner.requests.some((x) => x.method === 'GET' && x.path === '/servers'));

    // Without credentials, the clouds are listed as not configured, with what to set.
    const bare = sandbox(t);
    const b = await bare.run(['providers', 'check', '--json'], { env: { HCLOUD_TOKEN: '', EXOSCALE_API_KEY: '', EXOSCALE_API_SECRET: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: join(bare.home, 'none'), AWS_CONFIG_FILE: join(bare.home, 'none') } });
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const hz = (JSON.parse(b.stdout) as Array<{ provider: string; configured: boolean; message: string }>).find((x) => x.provider === 'hetzner');
    assert.deepEqual([hz?.configured, hz?.message], [false, 'not configured: set HCLOUD_TOKEN']);
  });

  test('up --provider hetzner ends ready with labels and firewall; a capacity error fails over; down leaves nothing', async (t) => {
    const s = await cloudSandbox(t);

    // Bad input first: unknown and unconfigured providers are refused with exit 2, nothing created.
    const file = ollamaCpu(s, 'qwen-hz');
    const unknown = await s.run(['up', file, '--provider', 'nope', '--yes']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown provider "nope"; configured providers: .*hetzner/);
    const unconfigured = await s.run(['up', file, '--provider', 'gcp', '--yes']);
    assert.equal(unconfigured.code, 2, unconfigured.stderr);
    assert.match(unconfigured.stderr, /provider gcp is not configured.*configured providers: local, hetzner, exoscale, aws/);

    // The cheapest offer (cax21 in fsn1) is out of capacity: the next one (cax21 in hel1) is taken.
    const before = hetzner.requests.length;
    hetzner.faults.push({ match: 'POST /servers', error: 'resource_unavailable', times: 1 });
    const up = await s.run(['up', file, '--provider', 'hetzner', '--yes'], { timeoutMs: 120_000 });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.match(up.stderr, /qwen-hz: hetzner cax21 \(.*\) in fsn1, \$/);
    assert.match(up.stdout, /qwen-hz is ready at /);
    const posts = hetzner.requests.slice(before).filter((r) => r.method === 'POST' && r.path === '/servers');
    assert.equal(posts.length, 2, 'one refused, one made');
    assert.deepEqual([posts[0]!.status !== 201, posts[1]!.status], [true, 201]);

    const id = await deploymentId(s, 'qwen-hz');
    const cloud = hetznerOf(id);
    assert.equal(cloud.servers.length, 1, 'exactly one server');
    const server = cloud.servers[0]!;
    assert.equal(`${server.type.name}/${server.location.name}`, 'cax21/hel1', 'the second offer');
    assert.equal(server.labels['aloft-managed'], 'true');
    assert.equal(server.labels['aloft-deployment'], id);
    assert.equal(server.status, 'running');
    const fws = hetzner.cloud.firewallsOf(server.id);
    assert.deepEqual(
      fws.map((f) => f.rules.map((r) => `${r.direction} ${r.protocol} ${r.port} ${r.source_ips.join(' ')}`)),
      [[`in tcp ${ollamaPort} 0.0.0.0/0 ::/0`]],
      'only the workload port is open',
    );
    assert.equal(cloud.firewalls.length, 1, 'the refused offer left no firewall behind');

    const down = await s.run(['down', 'qwen-hz', '--yes'], { timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr + down.stdout);
    assert.match(down.stdout, /qwen-hz destroyed/);
    const left = hetznerOf(id);
    assert.deepEqual(
      { servers: left.servers.length, firewalls: left.firewalls.length, volumes: left.volumes.length, keys: left.keys.length },
      { servers: 0, firewalls: 0, volumes: 0, keys: 0 },
    );
  });

  test('up --provider exoscale: ready in the configured zone with its security group; down leaves nothing', async (t) => {
    const s = await cloudSandbox(t);
    const up = await s.run(['up', ollamaCpu(s, 'qwen-exo'), '--provider', 'exoscale', '--yes'], { timeoutMs: 120_000 });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.match(up.stderr, new RegExp(`qwen-exo: exoscale standard\\.large \\(.*\\) in ${exoscale.zone}, \\$`), 'only the zone the provider serves is offered');
    const id = await deploymentId(s, 'qwen-exo');
    const mine = [...exoscale.state.instances.values()].filter((i) => i.labels['aloft-deployment'] === id);
    assert.equal(mine.length, 1, 'exactly one instance');
    assert.equal(mine[0]!.labels['aloft-managed'], 'true');
    const sg = [...exoscale.state.securityGroups.values()].find((g) => g.name === `aloft-${id}`);
    assert.ok(sg, 'its security group');
    assert.deepEqual(
      sg.rules.filter((r) => r['flow-direction'] === 'ingress').map((r) => `${r.protocol} ${r['start-port']}-${r['end-port']} ${r.network}`).sort(),
      [`tcp ${ollamaPort}-${ollamaPort} 0.0.0.0/0`, `tcp ${ollamaPort}-${ollamaPort} ::/0`],
      'only the workload port is open',
    );

    const down = await s.run(['down', 'qwen-exo', '--yes'], { timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr + down.stdout);
    assert.equal([...exoscale.state.instances.values()].filter((i) => i.labels['aloft-deployment'] === id && i.state !== 'destroyed').length, 0, 'no instance left');
    assert.equal([...exoscale.state.securityGroups.values()].filter((g) => g.name === `aloft-${id}`).length, 0, 'no security group left');
    assert.equal([...exoscale.state.volumes.values()].filter((v) => v.labels['aloft-deployment'] === id && v.state !== 'deleted').length, 0, 'no volume left');
  });

  test('up --provider aws --region us-east-1: a capacity error fails over; down leaves no instance, security group or volume', async (t) => {
    const s = await cloudSandbox(t);
    ec2.inject({ kind: 'capacity', action: 'RunInstances', times: 1 });
    const up = await s.run(['up', ollamaCpu(s, 'qwen-aws'), '--provider', 'aws', '--region', 'us-east-1', '--yes'], { timeoutMs: 120_000 });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.match(up.stderr, /qwen-aws: aws \S+ \(.*\) in us-east-1, \$/);
    const id = await deploymentId(s, 'qwen-aws');
    ec2.world.tick();
    const mine = [...ec2.world.instances.values()].filter((i) => i.tags['aloft-deployment'] === id);
    assert.equal(mine.length, 1, 'one instance: the refused offer made none');
    assert.equal(mine[0]!.region, 'us-east-1');
    assert.equal(mine[0]!.state, 'running');
    assert.equal(ec2.calls('RunInstances').length >= 2, true, 'the second offer was tried');
    const groups = [...ec2.world.groups.values()].filter((g) => g.tags['aloft-deployment'] === id);
    assert.equal(groups.length, 1, 'one security group');
    assert.deepEqual(groups[0]!.ingress.map((r) => `${r.protocol} ${r.fromPort}-${r.toPort} ${r.cidr}`), [`tcp ${ollamaPort}-${ollamaPort} 0.0.0.0/0`]);

    const down = await s.run(['down', 'qwen-aws', '--yes'], { timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr + down.stdout);
    ec2.world.tick();
    assert.deepEqual(
      {
        instances: [...ec2.world.instances.values()].filter((i) => i.tags['aloft-deployment'] === id && i.state !== 'terminated').length,
        groups: [...ec2.world.groups.values()].filter((g) => g.tags['aloft-deployment'] === id).length,
        volumes: [...ec2.world.volumes.values()].filter((v) => v.tags['aloft-deployment'] === id).length,
      },
      { instances: 0, groups: 0, volumes: 0 },
    );
  });
});
