import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from './config.js';

test('a missing config.yaml is an empty configuration; a good one is read', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'aloft-config-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  assert.deepEqual(loadConfig(home), {});
  writeFileSync(join(home, 'config.yaml'), 'budgets:\n  monthly_usd: 500\n  per_user: { alice: 100, bob: 0 }\n');
  assert.deepEqual(loadConfig(home), { budgets: { monthly_usd: 500, per_user: { alice: 100, bob: 0 } } });
  writeFileSync(join(home, 'config.yaml'), '# nothing yet\n');
  assert.deepEqual(loadConfig(home), {});
});

test('a bad file is one line naming the file and the field', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'aloft-config-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const file = join(home, 'config.yaml');
  const cases: Array<[string, RegExp]> = [
    ['budgets:\n  monthly_usd: -5\n', /: budgets\.monthly_usd: must be ≥ 0, got -5$/],
    ['budgets:\n  monthly: 5\n', /: budgets\.monthly: unknown key \(budgets takes monthly_usd and per_user\)$/],
    ['budgets:\n  per_user: { alice: lots }\n', /: budgets\.per_user\.alice: expected number, got "lots"$/],
    ['budget:\n  monthly_usd: 5\n', /: budget: unknown key \(the file takes budgets\)$/],
    ['budgets: 5\n', /: budgets: expected object, got 5$/],
    ['budgets: [\n', /config\.yaml:\d+: /],
  ];
  for (const [text, re] of cases) {
    writeFileSync(file, text);
    assert.throws(
      () => loadConfig(home),
      (err: Error) => err instanceof ConfigError && err.message.startsWith(file) && re.test(err.message) && !err.message.includes('\n'),
      text,
    );
  }
  assert.throws(() => parseConfig('budgets: {monthly_usd: x}', 'c.yaml'), /^Error: c\.yaml: budgets\.monthly_usd: expected number/);
});
