import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpecFile, parseSpec } from './parse.js';
import { SpecError } from './errors.js';

const OLLAMA = 'kind: ollama\nname: qwen\nmodel: qwen2.5:0.5b\n';

describe('parseSpec accepts', () => {
  test('a minimal spec of each kind', () => {
    assert.equal(parseSpec(OLLAMA).kind, 'ollama');
    assert.equal(parseSpec('kind: service\nname: web\ncommand: node server.js\n').kind, 'service');
    assert.equal(parseSpec('kind: devbox\nname: box\nssh_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 me@host"]\n').kind, 'devbox');
    assert.equal(parseSpec('kind: app\nname: web\nrepository: git@github.com:org/repo.git\ncommand: npm start\n').kind, 'app');
  });

  test('returns the values as written', () => {
    const spec = parseSpec(`${OLLAMA}resources: {gpu: "24GB+", cpus: 4+, memory: 16GB+}\nlifecycle: {ttl: 3600, idle_timeout: 1h30m}\n`);
    assert.deepEqual(spec.resources, { gpu: '24GB+', cpus: '4+', memory: '16GB+' });
    assert.deepEqual(spec.lifecycle, { ttl: 3600, idle_timeout: '1h30m' });
  });

  test('a one-letter name', () => assert.equal(parseSpec('kind: ollama\nname: q\nmodel: q\n').name, 'q'));

  test('names errors without a file as <spec>', () => {
    assert.throws(() => parseSpec('kind: olama\n'), { message: /^<spec>:1:7: kind: unknown kind "olama"/ });
  });

  test('refuses a huge document before parsing it', () => {
    const huge = OLLAMA + '# ' + 'x'.repeat(300 * 1024) + '\n';
    assert.throws(() => parseSpec(huge, { file: 'big.yaml' }), { message: 'big.yaml:1:1: spec is larger than 256 KiB' });
  });

  test('survives an alias bomb', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    assert.throws(() => parseSpec(bomb, { file: 'x.yaml' }), SpecError);
  });
});

describe('loadSpecFile', () => {
  test('reads a file and reports errors with the path as given', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'aloft-spec-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const good = join(dir, 'good.yaml');
    await writeFile(good, OLLAMA);
    const loaded = await loadSpecFile(good);
    assert.equal(loaded.spec.name, 'qwen');
    assert.equal(loaded.text, OLLAMA);
    assert.equal(loaded.file, good);
    assert.equal(loaded.baseDir, dir);

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'kind: ollama\nname: qwen\nmodel: q\nresources:\n  gpus: L4:1\n');
    await assert.rejects(loadSpecFile(bad), { message: `${bad}:5:3: resources.gpus: unknown key "gpus"; did you mean "gpu"?` });
  });

  test('a missing file is a SpecError naming it', async () => {
    await assert.rejects(loadSpecFile('/nonexistent/aloft.yaml'), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.equal(err.message, '/nonexistent/aloft.yaml: file not found');
      assert.equal(err.line, undefined);
      return true;
    });
  });

  test('SpecError serialises for the API', () => {
    try {
      parseSpec('kind: olama\n', { file: 'a.yaml' });
      assert.fail('should throw');
    } catch (err) {
      assert.deepEqual(JSON.parse(JSON.stringify(err)), {
        error: 'invalid_spec',
        message: 'a.yaml:1:7: kind: unknown kind "olama"; did you mean "ollama"? (valid kinds: service, ollama, devbox, app)',
        file: 'a.yaml',
        line: 1,
        column: 7,
        field: 'kind',
        suggestion: 'ollama',
      });
    }
  });
});
