// The benchmark's machine: a small Node server answering a 1 KB JSON (/json) and a
// 64-chunk SSE stream (/sse paced one chunk every PACE_MS ms, default 10: a fast LLM at 100 tokens/s;
// /sse-burst all 64 chunks at once). It checks the upstream secret like an on-host proxy.
// Prints its port on stdout.
import http from 'node:http';

const SECRET = process.env.BENCH_SECRET ?? '';
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 10);
const items = [];
while (JSON.stringify({ object: 'list', data: items }).length < 1000) {
  items.push({ id: `model-${items.length}`, object: 'model', owned_by: 'aloft' });
}
const json = Buffer.from(JSON.stringify({ object: 'list', data: items }).padEnd(1024, ' '));
const chunks = Array.from({ length: 64 }, (_, i) => Buffer.from(`data: {"index":${i},"delta":{"content":"token-${i}"}}\n\n`));

const server = http.createServer((req, res) => {
  if (SECRET && req.headers['x-aloft-upstream-secret'] !== SECRET) {
    res.writeHead(401).end();
    return;
  }
  if (req.url === '/json') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length });
    res.end(json);
    return;
  }
  if (req.url === '/sse' || req.url === '/sse-burst') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (req.url === '/sse-burst') {
      for (const c of chunks) res.write(c);
      res.end();
      return;
    }
    let i = 0;
    const timer = setInterval(() => {
      res.write(chunks[i++]);
      if (i === chunks.length) {
        clearInterval(timer);
        res.end();
      }
    }, PACE_MS);
    res.on('close', () => clearInterval(timer));
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
