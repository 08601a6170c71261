import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { Agent } from 'undici';
import { generateSelfSigned, httpsEndpoint, pinnedTls } from './self-signed.js';
import { probeHealth } from '../engine/health.js';

test('a generated pair is a PEM certificate and key; two pairs differ', async () => {
  const [a, b] = await Promise.all([generateSelfSigned('aloft-d_one'), generateSelfSigned('aloft-d_two')]);
  assert.match(a.certPem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  assert.match(a.keyPem, /-----BEGIN PRIVATE KEY-----/);
  assert.notEqual(a.certPem, b.certPem);
  assert.notEqual(a.keyPem, b.keyPem);
  await assert.rejects(generateSelfSigned('bad name/CN=x'), /must be/);
});

test('the pinned probe trusts exactly the issued certificate', async (t) => {
  const [issued, other] = await Promise.all([generateSelfSigned('aloft-issued'), generateSelfSigned('aloft-other')]);
  const server = createServer({ key: issued.keyPem, cert: issued.certPem }, (_req, res) => res.writeHead(200).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  const agent = (pem: string) => {
    const a = new Agent({ connect: pinnedTls(pem) });
    t.after(() => a.close());
    return a;
  };

  assert.equal(await probeHealth(url, '/health', { dispatcher: agent(issued.certPem) }), true);
  assert.equal(await probeHealth(url, '/health', { dispatcher: agent(other.certPem) }), false, 'another certificate is refused');
  assert.equal(await probeHealth(url, '/health'), false, 'the system CAs do not trust a self-signed certificate');
  assert.equal(await probeHealth(url.replace('https', 'http'), '/health'), false, 'no plain http to a TLS port');
});

test('httpsEndpoint rewrites only the scheme of http endpoints', () => {
  assert.equal(httpsEndpoint('http://203.0.113.5:8443'), 'https://203.0.113.5:8443');
  assert.equal(httpsEndpoint('https://203.0.113.5:8443'), 'https://203.0.113.5:8443');
  assert.equal(httpsEndpoint(null), null);
  assert.equal(httpsEndpoint(undefined), null);
});
