// The Aloft gateway as the benchmark runs it: its own process, an in-memory backend with
// one ready deployment ("bench") and one key. Prints {"url","key"} on stdout. It runs the
// built dist/ (`npm run build`), as `aloft server` does: under tsx every function would carry
// esbuild's keepNames wrapper, a cost users never pay.
// Run with: node bench/gateway/gateway-process.mjs <upstream-url> <secret>
const { createGateway } = await import('../../dist/gateway/server.js');
const { createMemoryBackend } = await import('../../dist/gateway/memory-backend.js');

const [upstreamUrl, secret] = process.argv.slice(2);
const backend = createMemoryBackend();
backend.put({ name: 'bench', upstreamUrl, upstreamSecret: secret });
const { key } = backend.addKey();
const gw = createGateway({
  host: '127.0.0.1',
  port: 0,
  backend,
  // The limiter runs on every request, but never refuses one here.
  rateLimit: { perSecond: 1e9, burst: 1e9 },
});
const { url } = await gw.listen();
process.stdout.write(JSON.stringify({ url, key }) + '\n');
process.on('SIGTERM', () => gw.close().then(() => process.exit(0)));
