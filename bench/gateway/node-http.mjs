// The least a proxy built on node:http and undici costs here: node:http in front of undici's Agent doing
// what the nginx config does (one header key compared as a string, the upstream secret
// injected, nothing buffered) and nothing else: no store, no metrics, no activity, no
// limits. Before its fast lane (src/gateway/lane.ts) the gateway could not go below this row;
// this row's distance from nginx is what node:http and undici cost. Prints {"url","key"} on stdout.
// Run with: node bench/gateway/node-http.mjs <upstream-url> <secret> <key>
import http from 'node:http';
import { Agent } from 'undici';

const [upstreamUrl, secret, key] = process.argv.slice(2);
const origin = new URL(upstreamUrl).origin;
const agent = new Agent({ keepAliveTimeout: 30_000 });
const PREFIX = '/d/bench';

const server = http.createServer({ noDelay: true }, (req, res) => {
  if (req.headers['x-aloft-key'] !== key || !req.url.startsWith(PREFIX + '/')) {
    res.writeHead(401).end();
    return;
  }
  const headers = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lc = raw[i].toLowerCase();
    if (lc !== 'host' && lc !== 'connection' && lc !== 'x-aloft-key') headers.push(raw[i], raw[i + 1]);
  }
  headers.push('x-aloft-upstream-secret', secret);
  agent.dispatch(
    { origin, path: req.url.slice(PREFIX.length), method: req.method, headers, body: req.method === 'GET' ? null : req },
    {
      onRequestStart() {},
      onResponseStart(_c, status, h) {
        delete h.connection;
        delete h['keep-alive'];
        delete h['transfer-encoding'];
        res.writeHead(status, h);
      },
      onResponseData(_c, chunk) {
        res.write(chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        res.destroy();
      },
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, key }) + '\n'));
