// A tiny web app for trying Aloft: no dependencies, Node 20+.
//   PORT=8080 node server.js   → http://127.0.0.1:8080/
// GET /            an HTML page with a visit counter
// GET /api/info    JSON: name, version, host, uptime, visits
// GET /healthz     200 "ok" (Aloft's readiness check)
// SIGTERM/SIGINT   stop accepting connections, finish open requests, exit 0
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const name = process.env.APP_NAME ?? 'hello';
const startedAt = Date.now();
let visits = 0;

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page() {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(name)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
.count{font-size:3rem;font-weight:700}code{background:#f2f2f2;padding:0 .25rem}</style></head>
<body>
<h1>Hello from ${escapeHtml(name)}</h1>
<p>This page has been visited</p>
<p class="count" id="visits">${visits}</p>
<p>times since the server started on <code>${escapeHtml(hostname())}</code>.</p>
<p>JSON: <a href="/api/info">/api/info</a> · health: <a href="/healthz">/healthz</a></p>
</body></html>
`;
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
  if (path === '/api/info') {
    const info = { name, version: '1.0.0', host: hostname(), node: process.version, uptimeS: Math.round((Date.now() - startedAt) / 1000), visits };
    return send(res, 200, 'application/json', JSON.stringify(info) + '\n');
  }
  if (path === '/' || path === '/index.html') {
    if (req.method === 'GET') visits++;
    return send(res, 200, 'text/html; charset=utf-8', page());
  }
  return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
});

// Keep-alive sockets would hold close() open; end idle ones promptly on shutdown.
server.keepAliveTimeout = 5_000;

server.listen(port, host, () => {
  const a = server.address();
  console.log(`${name} listening on http://${a.address}:${a.port}/`);
});

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  // Requests still running after 10 s are cut off rather than holding the stop forever.
  setTimeout(() => {
    server.closeAllConnections();
    process.exit(0);
  }, 10_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
