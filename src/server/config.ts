/**
 * The server's configuration file, `ALOFT_HOME/config.yaml` (optional). Today it holds
 * the monthly budgets:
 *
 *   budgets:
 *     monthly_usd: 500          # all deployments, per calendar month (UTC)
 *     per_user: { alice: 100 }  # per owner
 *
 * Validated with the catalog's TypeBox schema; unknown keys are errors (a typo must not
 * silently disable a budget). A bad file stops the server with one line naming the file
 * and the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { BudgetsConfig } from '../catalog/budget.js';

export const ServerConfig = Type.Object(
  {
    budgets: Type.Optional(BudgetsConfig),
  },
  { additionalProperties: false },
);
export type ServerConfig = Static<typeof ServerConfig>;

export class ConfigError extends Error {}

export function configPath(home: string): string {
  return join(home, 'config.yaml');
}

/** Reads and validates the configuration; a missing file is an empty configuration. */
export function loadConfig(home: string): ServerConfig {
  const file = configPath(home);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file = 'config.yaml'): ServerConfig {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new ConfigError(`${file}${line ? `:${line}` : ''}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const data = (doc.toJS() ?? {}) as unknown;
  if (!Value.Check(ServerConfig, data)) {
    const e = [...Value.Errors(ServerConfig, data)].sort((a, b) => b.path.length - a.path.length)[0]!;
    const field = e.path.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
    throw new ConfigError(`${file}: ${field}: ${describe(e)}`);
  }
  return data;
}

function describe(e: { path: string; message: string; value: unknown; schema: unknown }): string {
  const min = (e.schema as { minimum?: number }).minimum;
  if (/unexpected property/i.test(e.message)) {
    return e.path.split('/').length <= 2 ? 'unknown key (the file takes budgets)' : 'unknown key (budgets takes monthly_usd and per_user)';
  }
  if (min !== undefined && typeof e.value === 'number') return `must be ≥ ${min}, got ${e.value}`;
  return `${e.message.toLowerCase()}${e.value !== undefined && typeof e.value !== 'object' ? `, got ${JSON.stringify(e.value)}` : ''}`;
}
