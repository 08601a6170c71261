import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sizeModel, paramsFromTag, quantFromTag, vramFor, ModelSizeError, listModels } from './models.js';

test('catalog tags use the download size and the architecture KV cache', () => {
  const s = sizeModel('llama3.1:8b');
  assert.equal(s.source, 'catalog');
  assert.equal(s.paramsB, 8.03);
  assert.equal(s.quant, 'q4_K_M');
  assert.equal(s.downloadGb, 4.9);
  assert.equal(s.ctx, 4096);
  // 4.9 × 1.1 + 128 KiB × 4096 (0.5 GiB) + 0.5
  assert.equal(s.vramGb, 6.4);
});

test('aliases and :latest resolve to the default tag', () => {
  assert.equal(sizeModel('llama3.1').tag, 'llama3.1:8b');
  assert.equal(sizeModel('qwen2.5-coder:latest').tag, 'qwen2.5-coder:7b');
});

test('a longer context needs more VRAM, linearly in the KV cache', () => {
  const a = sizeModel('llama3.1:8b', { ctx: 4096 });
  const b = sizeModel('llama3.1:8b', { ctx: 32768 });
  assert.equal(b.kvGb, 4);
  assert.ok(Math.abs(b.vramGb - a.vramGb - 3.5) < 0.11);
  // Embedding models cap at their own context.
  assert.equal(sizeModel('nomic-embed-text', { ctx: 32768 }).ctx, 2048);
});

test('variants of a known tag keep its architecture and change the quantisation', () => {
  const s = sizeModel('llama3.1:8b-instruct-q8_0');
  assert.equal(s.source, 'estimate');
  assert.equal(s.paramsB, 8.03);
  assert.equal(s.quant, 'q8_0');
  assert.equal(s.downloadGb, 8.5);
  assert.ok(s.vramGb > sizeModel('llama3.1:8b').vramGb);
});

test('unknown tags are estimated from the parameter count and quantisation in the tag', () => {
  const s = sizeModel('someone/model:13b-q5_K_M', { ctx: 8192 });
  assert.equal(s.source, 'estimate');
  assert.equal(s.paramsB, 13);
  assert.equal(s.quant, 'q5_K_M');
  assert.equal(s.bits, 5.7);
  // 13e9 × 5.7 / 8 = 9.26 GB of weights; KV 48 KiB × √13 × 8192.
  const expect = vramFor((13 * 5.7) / 8, 48 * Math.sqrt(13), 8192);
  assert.equal(s.vramGb, expect.vramGb);
  assert.equal(sizeModel('x:8x7b').paramsB, 56);
  assert.equal(sizeModel('hf.co/org/Thing-7B-GGUF:Q8_0').quant, 'q8_0');
});

test('tag parsing helpers', () => {
  assert.equal(paramsFromTag('qwen2.5:1.5b'), 1.5);
  assert.equal(paramsFromTag('mxbai:335m'), 0.335);
  assert.equal(paramsFromTag('llama3.1:latest'), undefined);
  assert.equal(quantFromTag('8b-instruct-q4_K_S'), 'q4_K_S');
  assert.equal(quantFromTag('7b-fp16'), 'fp16');
  assert.equal(quantFromTag('7b'), undefined);
});

test('what cannot be sized says how to fix it', () => {
  assert.throws(() => sizeModel('mystery:latest'), (e: Error) => e instanceof ModelSizeError && /name:7b/.test(e.message));
  assert.throws(() => sizeModel(''), ModelSizeError);
  assert.throws(() => sizeModel('llama3.1:8b', { ctx: 0 }), /context 0/);
});

test('listModels sizes every entry', () => {
  const all = listModels({ ctx: 8192 });
  assert.ok(all.length >= 40);
  assert.ok(all.every((m) => m.vramGb > 0 && m.source === 'catalog'));
});
