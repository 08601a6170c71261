import { test as nodeTest, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { json, request, startGateway, startUpstream, LANES } from './gateway-helpers.js';

// Every case runs through the fast lane and through node:http + undici (fastLane: false).
for (const { label, fastLane } of LANES) {
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(`${name} (${label})`, fn);

  test('keys: missing, wrong, revoked, expired, wrongly scoped; unknown deployment', async (t) => {
    const up = await startUpstream(t);
    const { url, backend } = await startGateway(t, { fastLane });
    const llm = backend.put({ name: 'llm', upstreamUrl: up.url, upstreamSecret: 's1' });
    backend.put({ name: 'other', upstreamUrl: up.url, upstreamSecret: 's2' });
    const all = backend.addKey();
    const scoped = backend.addKey({ deploymentId: llm.deploymentId });
    const revoked = backend.addKey();
    backend.revoke(revoked.row.prefix);
    const expired = backend.addKey({ expiresAt: Date.now() - 1000 });
    const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

    const missing = await request(`${url}/d/llm/api/tags`);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="aloft"');
    assert.equal(json(missing).error.code, 'missing_key');

    const wrongKey = all.key.slice(0, -4) + (all.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const wrong = await request(`${url}/d/llm/api/tags`, { headers: bearer(wrongKey) });
    assert.equal(wrong.status, 401);
    assert.equal(json(wrong).error.code, 'invalid_key');
    assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="aloft"');
    assert.equal((await request(`${url}/d/llm/api/tags`, { headers: bearer('garbage') })).status, 401);

    const rev = await request(`${url}/d/llm/api/tags`, { headers: bearer(revoked.key) });
    assert.equal(rev.status, 401);
    assert.equal(json(rev).error.code, 'revoked_key');

    const exp = await request(`${url}/d/llm/api/tags`, { headers: bearer(expired.key) });
    assert.equal(exp.status, 401);
    assert.equal(json(exp).error.code, 'expired_key');

    const scope = await request(`${url}/d/other/api/tags`, { headers: bearer(scoped.key) });
    assert.equal(scope.status, 403);
    assert.equal(json(scope).error.code, 'forbidden');
    assert.equal((await request(`${url}/d/nope/x`, { headers: bearer(scoped.key) })).status, 403, 'a scoped key learns nothing about other names');

    const unknown = await request(`${url}/d/nope/x`, { headers: bearer(all.key) });
    assert.equal(unknown.status, 404);
    assert.equal(json(unknown).error.code, 'deployment_not_found');
    assert.equal((await request(`${url}/elsewhere`, { headers: bearer(all.key) })).status, 404);
    assert.equal(up.seen.length, 0, 'nothing refused reached the machine');

    const ok = await request(`${url}/d/llm/api/tags?x=1`, { headers: bearer(scoped.key) });
    assert.equal(ok.status, 200);
    assert.equal(json(ok).path, '/api/tags?x=1');
    assert.equal((await request(`${url}/d/other/`, { headers: { 'x-aloft-key': all.key } })).status, 200);
    assert.equal((await request(`${url}/d/other/`, { headers: { 'x-ollama-key': all.key } })).status, 200);
  });

  test("the client's key never reaches the machine; the machine's secret does", async (t) => {
    const up = await startUpstream(t);
    const { url, backend } = await startGateway(t, { fastLane, upstreamSecretHeader: 'X-Machine-Secret' });
    backend.put({ name: 'llm', upstreamUrl: up.url, upstreamSecret: 'machine-secret-1' });
    const { key } = backend.addKey();
    const via: Array<Record<string, string>> = [{ authorization: `Bearer ${key}` }, { 'x-aloft-key': key }, { 'X-Ollama-Key': key }];
    for (const headers of via) {
      const r = await request(`${url}/d/llm/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'x-machine-secret': 'forged-by-client' },
        body: JSON.stringify({ model: 'm', messages: [] }),
      });
      assert.equal(r.status, 200);
    }
    assert.equal(up.seen.length, 3);
    for (const s of up.seen) {
      const wire = JSON.stringify(s.rawHeaders) + s.url + s.body;
      assert.ok(!wire.includes(key), 'key in upstream request');
      assert.ok(!wire.includes(key.slice(6, 18)), 'key prefix in upstream request');
      assert.equal(s.headers['x-machine-secret'], 'machine-secret-1');
      assert.equal(s.headers.authorization, undefined);
      assert.equal(s.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(s.body, JSON.stringify({ model: 'm', messages: [] }));
    }
  });

  test('an app’s own Authorization scheme passes through; Host routing with a domain', async (t) => {
    const up = await startUpstream(t);
    const { url, backend } = await startGateway(t, { fastLane, domain: 'gw.test' });
    backend.put({ name: 'app', upstreamUrl: up.url, upstreamSecret: null });
    const { key } = backend.addKey();
    const r = await request(`${url}/hello`, { headers: { host: 'app.gw.test', 'x-aloft-key': key, authorization: 'Basic dTpw' } });
    assert.equal(r.status, 200);
    assert.equal(json(r).path, '/hello');
    assert.equal(up.seen[0]!.headers.authorization, 'Basic dTpw');
    assert.equal(up.seen[0]!.headers['x-aloft-upstream-secret'], undefined, 'no secret configured, none sent');
    assert.equal(up.seen[0]!.headers['x-forwarded-host'], 'app.gw.test');
  });
}
