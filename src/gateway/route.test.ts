import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, upstreamPath } from './route.js';

test('path routes', () => {
  assert.deepEqual(parseRoute('/d/llm/api/generate', 'x', null), { name: 'llm', path: '/api/generate' });
  assert.deepEqual(parseRoute('/d/llm', 'x', null), { name: 'llm', path: '/' });
  assert.deepEqual(parseRoute('/d/llm?x=1', 'x', null), { name: 'llm', path: '/?x=1' });
  assert.deepEqual(parseRoute('/d/my-app/v1/models?a=b', undefined, null), { name: 'my-app', path: '/v1/models?a=b' });
  assert.equal(parseRoute('/d/', 'x', null), null);
  assert.equal(parseRoute('/d/Bad/x', 'x', null), null);
  assert.equal(parseRoute('/api/generate', 'x', null), null);
});

test('host routes when a domain is set', () => {
  assert.deepEqual(parseRoute('/api/tags', 'llm.gw.example.com:7080', 'gw.example.com'), { name: 'llm', path: '/api/tags' });
  assert.deepEqual(parseRoute('/api/tags', 'LLM.gw.example.com', 'gw.example.com'), { name: 'llm', path: '/api/tags' });
  assert.equal(parseRoute('/api/tags', 'gw.example.com', 'gw.example.com'), null);
  assert.equal(parseRoute('/api/tags', 'a.b.gw.example.com', 'gw.example.com'), null);
  assert.deepEqual(parseRoute('/d/x1/y', 'gw.example.com', 'gw.example.com'), { name: 'x1', path: '/y' });
});

test('upstreamPath keeps a base path', () => {
  assert.equal(upstreamPath(new URL('http://h:1'), '/a?b'), '/a?b');
  assert.equal(upstreamPath(new URL('http://h:1/base/'), '/a'), '/base/a');
});
