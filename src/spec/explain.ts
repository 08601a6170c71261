/**
 * Turns a TypeBox validation error into one sentence a person can act on:
 * what is wrong, what is expected, and the nearest valid key or value.
 * TypeBox's own messages ("Expected union value") say too little.
 */
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { TSchema } from '@sinclair/typebox';
import { KIND_SCHEMAS, KINDS, type Kind } from './schema.js';
import { nearest } from './suggest.js';
import type { Target } from './locate.js';

export interface Problem {
  segments: (string | number)[];
  target: Target;
  reason: string;
  suggestion?: string;
}

/** Values people write that mean something valid under another name. */
const VALUE_ALIASES: Record<string, string> = {
  amd64: 'x86_64',
  x64: 'x86_64',
  x86: 'x86_64',
  aarch64: 'arm64',
  arm: 'arm64',
  stopped: 'stop',
  delete: 'destroy',
  terminate: 'destroy',
};

/** What a pattern means, for patterns whose schema has no description. */
const PATTERN_HINTS: Record<string, string> = {
  '^/': 'a path starting with "/", e.g. /healthz',
};

/** `/resources/gpu` → ['resources', 'gpu']; numeric segments stay numbers (array indices). */
export function pointerSegments(pointer: string, value: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(seg)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

/** How a value reads in "got …": `"abc"`, `8080`, `a list`, `nothing`. */
export function describeValue(v: unknown, secret = false): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (secret) return `a ${typeof v}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  return String(v);
}

function literalValues(schema: TSchema): unknown[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!anyOf || !anyOf.every((s) => 'const' in s)) return undefined;
  return anyOf.map((s) => (s as unknown as { const: unknown }).const);
}

function suggestValue(value: unknown, allowed: string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  const alias = VALUE_ALIASES[value.toLowerCase()];
  if (alias && allowed.includes(alias)) return alias;
  return nearest(value, allowed);
}

function unknownKey(e: ValueError, segments: (string | number)[], kind: Kind | undefined): Omit<Problem, 'segments' | 'target'> {
  const key = String(segments[segments.length - 1]);
  const schema = e.schema as { properties?: Record<string, TSchema>; patternProperties?: Record<string, TSchema> };
  if (schema.patternProperties) {
    // A Record (env): the key itself breaks the naming rule.
    return { reason: `invalid environment variable name "${key}": use letters, digits and _, not starting with a digit` };
  }
  const known = Object.keys(schema.properties ?? {});
  if (segments.length === 1 && kind) {
    const owners = KINDS.filter((k) => k !== kind && Object.hasOwn(KIND_SCHEMAS[k].properties, key));
    if (owners.length > 0) {
      return { reason: `unknown key "${key}" for kind ${kind} (it belongs to kind ${owners.join(', ')})` };
    }
  }
  const suggestion = nearest(key, known);
  if (suggestion) return { reason: `unknown key "${key}"; did you mean "${suggestion}"?`, suggestion };
  return { reason: `unknown key "${key}"; valid keys here: ${known.join(', ')}` };
}

function expected(schema: TSchema): string {
  const s = schema as { pattern?: string; description?: string };
  if (s.pattern && PATTERN_HINTS[s.pattern]) return PATTERN_HINTS[s.pattern]!;
  if (s.description) return s.description.charAt(0).toLowerCase() + s.description.slice(1);
  return s.pattern ? `text matching ${s.pattern}` : 'a valid value';
}

/** One TypeBox error → one Problem. `kind` is the spec's (already valid) kind. */
export function explain(e: ValueError, root: unknown, kind: Kind | undefined): Problem {
  const segments = pointerSegments(e.path, root);
  const secret = segments[0] === 'env';
  const got = describeValue(e.value, secret);
  const p = (reason: string, target: Target = 'value', suggestion?: string): Problem => ({ segments, target, reason, suggestion });
  const schema = e.schema as Record<string, unknown>;

  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const u = unknownKey(e, segments, kind);
      return p(u.reason, 'key', u.suggestion);
    }
    case ValueErrorType.ObjectRequiredProperty: {
      const about = typeof schema.description === 'string' ? ` (${expected(e.schema)})` : '';
      return p(`missing required field${about}`, 'parent');
    }
    case ValueErrorType.Object:
      return p(`expected a mapping (key: value), got ${got}`);
    case ValueErrorType.String: {
      const quote = typeof e.value === 'number' || typeof e.value === 'boolean' ? `; put it in quotes` : '';
      return p(`expected a string, got ${got}${quote}`);
    }
    case ValueErrorType.StringMinLength:
      return p('must not be empty');
    case ValueErrorType.StringPattern:
      return p(`${got} is not valid; expected ${expected(e.schema)}`);
    case ValueErrorType.Number:
      return p(`expected a number, got ${got}`);
    case ValueErrorType.Integer:
      return p(`expected a whole number, got ${got}`);
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return p(`must be at least ${schema.minimum}, got ${got}`);
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return p(`must be at most ${schema.maximum}, got ${got}`);
    case ValueErrorType.Boolean:
      return p(`expected true or false, got ${got}`);
    case ValueErrorType.Array: {
      const hint = typeof e.value === 'string' ? `; write [${e.value}]` : '';
      return p(`expected a list, got ${got}${hint}`);
    }
    case ValueErrorType.ArrayMinItems:
      return p(`must list at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
    case ValueErrorType.Literal:
      return p(`expected ${JSON.stringify(schema.const)}, got ${got}`);
    case ValueErrorType.Union: {
      const allowed = literalValues(e.schema);
      if (allowed) {
        const names = allowed.map(String);
        const suggestion = suggestValue(e.value, names);
        const mean = suggestion ? `; did you mean "${suggestion}"?` : '';
        return p(`expected one of ${names.join(', ')}, got ${got}${mean}`, 'value', suggestion);
      }
      return p(`expected ${expected(e.schema)}, got ${got}`);
    }
    default:
      return p(e.message);
  }
}
