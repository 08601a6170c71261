#!/usr/bin/env node
// Gateway benchmark (not a test): on loopback, one upstream (bench/gateway/upstream.mjs),
// measured with autocannon directly, through the Aloft gateway, and through nginx
// (Debian package) configured to check the same header key with a `map` and to inject
// the same upstream secret, unbuffered. Prints a table with ratios against the targets
// and records it in bench/README.md under "## Gateway".
//
//   node bench/gateway/run.mjs            (BENCH_DURATION=10 BENCH_CONNECTIONS=50 BENCH_ROUNDS=1)
//
// Each server is its own process; nginx runs one worker, as the gateway is one process.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 10);
/** Requests/s of the fixed-rate CPU cells (0 skips them). */
const FIXED_RATE = Number(process.env.BENCH_FIXED_RATE ?? 5000);
const secret = randomBytes(24).toString('base64url');
const children = [];
const tmp = mkdtempSync(join(os.tmpdir(), 'aloft-bench-gw-'));

function start(cmd, args, env = {}) {
  const p = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(p);
  return p;
}

function firstLine(p) {
  return new Promise((resolve, reject) => {
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i !== -1) resolve(buf.slice(0, i));
    });
    p.once('exit', (code) => reject(new Error(`${p.spawnfile} exited (${code}) before it was ready`)));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => net.connect(port, '127.0.0.1').once('connect', function () { this.destroy(); r(true); }).once('error', () => r(false)));
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}

function nginxConf(port, upstreamPort, key) {
  return `worker_processes 1;
pid ${tmp}/nginx.pid;
error_log ${tmp}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  map_hash_bucket_size 128;
  map $http_x_aloft_key $aloft_ok { "${key}" 1; default 0; }
  upstream machine { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location /d/bench/ {
      if ($aloft_ok = 0) { return 401; }
      proxy_pass http://machine/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Aloft-Key "";
      proxy_set_header X-Aloft-Upstream-Secret "${secret}";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
/** User + system CPU seconds a process has used (from /proc: robust to a busy machine). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

async function cannon(url, headers, pid, paced) {
  // Warm up (connections, JIT), then measure.
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 2 });
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  // Paced streams last ~0.65 s each and start in step, so a fixed duration cuts a whole wave
  // when streams run a few ms longer (1.5% slower streams read as 7% fewer requests/s). They
  // run a fixed number instead, and requests/s is that number over the time they took.
  const t0 = performance.now();
  const r = paced
    ? await autocannon({ url, headers, connections: CONNECTIONS, amount: CONNECTIONS * Math.max(1, Math.round((DURATION * 1000) / (64 * PACE_MS))) })
    : await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION });
  if (paced) r.requests.average = r.requests.total / ((performance.now() - t0) / 1000);
  const cpuUsPerReq = pid && r.requests.total ? ((cpuSeconds(pid) - cpu0) * 1e6) / r.requests.total : null;
  const bad = r.non2xx + r.errors + r.timeouts;
  // A refused key or a broken proxy shows here; a handful of socket errors when autocannon
  // stops mid-stream does not invalidate a run of tens of thousands.
  if (r.non2xx > 0 || bad > Math.max(5, r.requests.total * 0.001)) {
    throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts of ${r.requests.total}`);
  }
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bytesPerSec: r.throughput.average, total: r.requests.total, errors: bad, cpuUsPerReq };
}

async function main() {
  // The gateway runs from dist/, as `aloft server` does.
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  const upstream = start(process.execPath, [join(here, 'upstream.mjs')], { BENCH_SECRET: secret, BENCH_PACE_MS: String(PACE_MS) });
  const upstreamPort = Number(await firstLine(upstream));
  const gateway = start(process.execPath, [join(here, 'gateway-process.mjs'), `http://127.0.0.1:${upstreamPort}`, secret]);
  const { url: gatewayUrl, key } = JSON.parse(await firstLine(gateway));
  const nginxPort = await freePort();
  writeFileSync(join(tmp, 'nginx.conf'), nginxConf(nginxPort, upstreamPort, key));
  const nginx = start('nginx', ['-p', tmp, '-e', join(tmp, 'nginx-error.log'), '-c', join(tmp, 'nginx.conf'), '-g', 'daemon off;']);
  await waitForPort(nginxPort);
  const nginxWorker = Number(readFileSync(`/proc/${nginx.pid}/task/${nginx.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  const nodeHttp = start(process.execPath, [join(here, 'node-http.mjs'), `http://127.0.0.1:${upstreamPort}`, secret, key]);
  const { url: nodeHttpUrl } = JSON.parse(await firstLine(nodeHttp));

  const targets = {
    direct: { base: `http://127.0.0.1:${upstreamPort}`, headers: { 'x-aloft-upstream-secret': secret }, pid: upstream.pid },
    gateway: { base: `${gatewayUrl}/d/bench`, headers: { 'x-aloft-key': key }, pid: gateway.pid },
    nginx: { base: `http://127.0.0.1:${nginxPort}/d/bench`, headers: { 'x-aloft-key': key }, pid: nginxWorker },
    // Not a target: node:http in front of undici doing the nginx config's work and no more (node-http.mjs).
    'node-http': { base: `${nodeHttpUrl}/d/bench`, headers: { 'x-aloft-key': key }, pid: nodeHttp.pid },
  };
  // Warm every server up once (JIT, connection pools) before any cell is measured.
  const scenarios = (process.env.BENCH_SCENARIOS ?? '/json,/sse,/sse-burst').split(',');
  for (const t of Object.values(targets)) {
    for (const path of ['/json', '/sse-burst'].filter((p) => scenarios.includes(p))) await autocannon({ url: t.base + path, headers: t.headers, connections: CONNECTIONS, duration: 3 });
  }
  const results = {};
  for (const s of scenarios) {
    results[s] = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, t] of Object.entries(targets)) {
        process.stderr.write(`${s} ${name} (round ${round + 1}/${ROUNDS})…\n`);
        const r = await cannon(t.base + s, t.headers, t.pid, s === '/sse');
        // Several rounds: keep the best requests/s of each (less noise from neighbours).
        if (!results[s][name] || r.rps > results[s][name].rps) results[s][name] = r;
      }
    }
  }
  // CPU per request at a fixed, unsaturated rate: each proxy does the same work per second, so
  // the scheduler's share-out of two busy cores (which moves saturated req/s by ±20% between
  // runs) drops out and what remains is each proxy's own cost.
  const fixed = {};
  if (FIXED_RATE > 0 && scenarios.includes('/json')) {
    for (const name of ['gateway', 'nginx', 'node-http']) {
      const t = targets[name];
      process.stderr.write(`/json ${name} at ${FIXED_RATE} req/s…\n`);
      const cpu0 = cpuSeconds(t.pid);
      const r = await autocannon({ url: t.base + '/json', headers: t.headers, connections: CONNECTIONS, duration: DURATION, overallRate: FIXED_RATE });
      fixed[name] = ((cpuSeconds(t.pid) - cpu0) * 1e6) / r.requests.total;
    }
  }
  if (scenarios.length === 3) report(results, fixed);
  else console.log(JSON.stringify(results, null, 1));
}

const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' / ');

function report(results, fixed) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const nginxVersion = execFileSync('nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() || 'nginx';
  const rows = [];
  for (const [s, byTarget] of Object.entries(results)) {
    for (const [name, r] of Object.entries(byTarget)) {
      rows.push(`| ${s} | ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.bytesPerSec / 1e6).toFixed(1)} | ${r.cpuUsPerReq === null ? '-' : Math.round(r.cpuUsPerReq)} | ${r.errors} |`);
    }
  }
  const j = results['/json'];
  const sse = results['/sse'];
  const burst = results['/sse-burst'];
  const ratio = (a, b) => (a / b).toFixed(2);
  const mark = (ok) => (ok ? 'met' : 'MISSED');
  const f = fixed;
  const fixedLine = f.gateway
    ? [`CPU per request at a fixed ${FIXED_RATE} req/s (JSON, not a target): gateway ${Math.round(f.gateway)} µs, nginx ${Math.round(f.nginx)}, node-http ${Math.round(f['node-http'])}; gateway/nginx ${ratio(f.gateway, f.nginx)}, gateway/node-http ${ratio(f.gateway, f['node-http'])}`]
    : [];
  const checks = [
    `gateway/nginx requests/s (JSON): ${ratio(j.gateway.rps, j.nginx.rps)} (target >= 0.80: ${mark(j.gateway.rps >= 0.8 * j.nginx.rps)})`,
    `gateway/nginx p99 (JSON): ${ratio(j.gateway.p99, j.nginx.p99)} (target <= 1.50: ${mark(j.gateway.p99 <= 1.5 * j.nginx.p99)})`,
    `gateway/direct SSE throughput (paced): ${ratio(sse.gateway.rps, sse.direct.rps)} (target >= 0.95: ${mark(sse.gateway.rps >= 0.95 * sse.direct.rps)})`,
    `gateway/direct SSE throughput (burst, not a target): ${ratio(burst.gateway.rps, burst.direct.rps)}; gateway/nginx: ${ratio(burst.gateway.rps, burst.nginx.rps)}`,
    `gateway/nginx requests/s (SSE paced): ${ratio(sse.gateway.rps, sse.nginx.rps)}, p99 ${ratio(sse.gateway.p99, sse.nginx.p99)}`,
    `CPU per request, gateway/nginx: JSON ${ratio(j.gateway.cpuUsPerReq, j.nginx.cpuUsPerReq)}, SSE paced ${ratio(sse.gateway.cpuUsPerReq, sse.nginx.cpuUsPerReq)}, SSE burst ${ratio(burst.gateway.cpuUsPerReq, burst.nginx.cpuUsPerReq)}`,
    ...fixedLine,
    `node:http + undici (node-http.mjs, not a target), JSON: node-http/nginx requests/s ${ratio(j['node-http'].rps, j.nginx.rps)}, CPU per request ${ratio(j['node-http'].cpuUsPerReq, j.nginx.cpuUsPerReq)}; gateway/node-http requests/s ${ratio(j.gateway.rps, j['node-http'].rps)}, CPU per request ${ratio(j.gateway.cpuUsPerReq, j['node-http'].cpuUsPerReq)}`,
  ];
  const section = `## Gateway

Measured by \`node bench/gateway/run.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${cpu}, Node ${process.version}, ${nginxVersion.replace('nginx version: ', '')} (1 worker).
autocannon, ${CONNECTIONS} connections, ${DURATION} s per cell after a 2 s warm-up, best of ${ROUNDS} round(s); loopback; upstream, gateway, nginx and autocannon share the machine.
\`/json\`: 1 KB JSON; \`/sse\`: 64 SSE chunks, one every ${PACE_MS} ms (100 tokens/s at the default 10 ms: a fast LLM), a fixed number of streams per connection (requests/s = streams / time taken); \`/sse-burst\`: the 64 chunks at once.
\`node-http\`: a minimal Node proxy on node:http + undici (the nginx config's work and nothing more), the path the gateway took for every request before its fast lane.
Latency in ms (time to the last byte). CPU µs/req: user + system CPU of the one process that serves the cell (the upstream for direct, the gateway, the nginx worker) divided by the requests served; it depends far less on the machine's load than req/s does.
Load average before the run: ${loadBefore}.

| path | target | req/s | p50 | p99 | MB/s | CPU µs/req | errors |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${checks.map((c) => `- ${c}`).join('\n')}
`;
  process.stdout.write('\n' + section + '\n');
  const readme = join(root, 'bench', 'README.md');
  const old = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Benchmarks\n';
  const start = old.indexOf('## Gateway\n');
  let next;
  if (start === -1) next = old.trimEnd() + '\n\n' + section;
  else {
    const after = old.indexOf('\n## ', start + 1);
    const body = old.slice(start, after === -1 ? undefined : after);
    // Hand-written analysis under "### Notes" survives a new run; the figures are replaced.
    const notesAt = body.indexOf('\n### Notes');
    const notes = notesAt === -1 ? '' : '\n' + body.slice(notesAt).trim() + '\n';
    next = old.slice(0, start) + section + notes + (after === -1 ? '' : old.slice(after));
  }
  writeFileSync(readme, next);
}

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
try {
  await main();
} finally {
  cleanup();
}
