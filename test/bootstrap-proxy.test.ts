/**
 * The key proxy, for real: nginx runs the server block the builder ships (rendered by the
 * same function, with TLS from openssl and the htpasswd line from the upstream secret) in
 * front of a local SSE server. Wrong secret → 401; right secret → through, with the
 * Authorization header removed; SSE events arrive one by one while the stream is open.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile, chmod, rm, readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proxyHtpasswdLine, renderProxyServer, upstreamAuthHeader } from '../src/bootstrap/index.js';

const SECRET = 'upstream-' + 'k'.repeat(32);
let dir = '';
let nginx: ChildProcess | undefined;
let upstream: Server;
let port = 0;
let cert = '';
const seen: IncomingHttpHeaders[] = [];
/** Resolves the open SSE response's "send the next event" step. */
let nextEvent: (() => void) | undefined;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aloft-proxy-'));
  await chmod(dir, 0o755); // nginx workers run unprivileged and read the htpasswd file per request

  upstream = createHttpServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      nextEvent = () => {
        res.write('data: two\n\n');
        res.end();
      };
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamPort = (upstream.address() as { port: number }).port;

  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=aloft-test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  cert = await readFile(join(dir, 'cert.pem'), 'utf8');
  await writeFile(join(dir, 'htpasswd'), proxyHtpasswdLine(SECRET) + '\n', { mode: 0o644 });

  // nginx cannot listen on port 0: take a free port, and try again if another process wins it.
  for (let attempt = 0; attempt < 5 && !nginx; attempt++) {
    port = await freePort();
    await writeFile(
      join(dir, 'server.conf'),
      renderProxyServer({ listen: '127.0.0.1', port, upstreamPort, htpasswdPath: join(dir, 'htpasswd'), tls: { certPath: join(dir, 'cert.pem'), keyPath: join(dir, 'key.pem') } }),
    );
    await writeFile(
      join(dir, 'nginx.conf'),
      [
        'daemon off;', 'worker_processes 1;', `pid ${dir}/nginx.pid;`, 'error_log stderr warn;', 'events { worker_connections 64; }',
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((n) => `  ${n}_temp_path ${dir}/${n}_temp;`),
        `  include ${dir}/server.conf;`,
        '}',
      ].join('\n'),
    );
    const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const up = await waitUntilUp(child);
    if (up) nginx = child;
    else if (!/Address already in use/.test(stderr)) throw new Error(`nginx did not start: ${stderr}`);
  }
  assert.ok(nginx, 'nginx started');
});

async function waitUntilUp(child: ChildProcess): Promise<boolean> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) return false;
    try {
      const r = await get('/');
      if (r.status) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  return false;
}

after(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx!.once('exit', r));
    nginx.kill('SIGTERM');
    await exited;
  }
  await new Promise((r) => upstream?.close(r));
  upstream?.closeAllConnections();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}, onFirstChunk?: (text: string) => void) {
  return new Promise<{ status: number; body: string; chunks: string[] }>((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, headers, ca: cert, checkServerIdentity: () => undefined, timeout: 15_000 },
      (res) => {
        const chunks: string[] = [];
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          chunks.push(c);
          if (chunks.length === 1) onFirstChunk?.(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.join(''), chunks }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

test('no secret, a wrong secret, or the secret as a Bearer token: 401, and the workload sees nothing', async () => {
  const before = seen.length;
  assert.equal((await get('/api/tags')).status, 401);
  assert.equal((await get('/api/tags', upstreamAuthHeader('upstream-wrong-secret'))).status, 401);
  assert.equal((await get('/api/tags', upstreamAuthHeader(SECRET.slice(0, -1)))).status, 401);
  assert.equal((await get('/api/tags', { authorization: `Bearer ${SECRET}` })).status, 401);
  assert.equal(seen.length, before);
});

test('the right secret passes through over TLS, and the secret never reaches the workload', async () => {
  const r = await get('/api/tags?x=1', upstreamAuthHeader(SECRET));
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { path: '/api/tags?x=1' });
  const h = seen.at(-1)!;
  assert.equal(h.authorization, undefined);
  assert.ok(!JSON.stringify(h).includes(SECRET));
});

test('SSE streams unbuffered: the first event arrives while the response is still open', async () => {
  let firstSeenOpen = false;
  const r = await get('/events', upstreamAuthHeader(SECRET), (first) => {
    // The upstream sends "two" and ends only after this first chunk came through the proxy.
    firstSeenOpen = first.includes('data: one') && !first.includes('data: two');
    assert.ok(nextEvent, 'upstream stream is open');
    nextEvent!();
  });
  assert.equal(r.status, 200);
  assert.ok(firstSeenOpen, `first chunk was ${JSON.stringify(r.chunks[0])}`);
  assert.equal(r.body, 'data: one\n\ndata: two\n\n');
});
