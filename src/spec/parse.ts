/**
 * aloft.yaml text → a validated Spec, or a SpecError that points at the line.
 *
 * Order: YAML syntax, then the document's shape (a mapping), then `kind` (it
 * picks the schema), then that kind's schema, then the checks a schema cannot
 * express. Of several problems the one reported is the first in the file,
 * except that a missing field yields to an unknown key (the usual cause of a
 * missing `model` is a misspelt `modle`).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isSeq, type Document } from 'yaml';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { KIND_SCHEMAS, KINDS, type Kind, type Spec } from './schema.js';
import { SpecError, fieldPath } from './errors.js';
import { locate, type Position } from './locate.js';
import { describeValue, explain, type Problem } from './explain.js';
import { checkSpec } from './check.js';
import { nearest } from './suggest.js';

export interface ParseOptions {
  /** Shown in error messages as given (e.g. `examples/hello.yaml`). */
  file?: string;
  /** Directory that relative paths in the spec are resolved against; kept for callers, unused by parsing. */
  baseDir?: string;
}

/** Specs are small; a huge document is a mistake (or an attack on the parser). */
const MAX_SPEC_BYTES = 256 * 1024;

const compiled = new Map<Kind, TypeCheck<(typeof KIND_SCHEMAS)[Kind]>>();
function checkerFor(kind: Kind): TypeCheck<(typeof KIND_SCHEMAS)[Kind]> {
  let c = compiled.get(kind);
  if (!c) compiled.set(kind, (c = TypeCompiler.Compile(KIND_SCHEMAS[kind])));
  return c;
}

export function parseSpec(text: string, opts: ParseOptions = {}): Spec {
  const file = opts.file;
  if (Buffer.byteLength(text, 'utf8') > MAX_SPEC_BYTES) {
    throw new SpecError(`spec is larger than ${MAX_SPEC_BYTES / 1024} KiB`, { file, line: 1, column: 1 });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    throw new SpecError(`invalid YAML: ${syntaxReason(syntax.code, syntax.message, text.slice(syntax.pos[0]))}`, {
      file,
      line,
      column: col,
    });
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new SpecError(`invalid YAML: ${oneLine((err as Error).message)}`, { file, line: 1, column: 1 });
  }
  const report = (p: Problem): never => {
    throw toSpecError(p, doc, lines, file);
  };

  if (value === null || value === undefined) {
    report({ segments: [], target: 'value', reason: `the spec is empty; expected a mapping with at least kind and name` });
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    const got = isSeq(doc.contents) ? 'a list' : describeValue(value);
    report({ segments: [], target: 'value', reason: `expected a mapping (key: value) at the top level, got ${got}` });
  }
  const root = value as Record<string, unknown>;

  const kind = root.kind;
  if (kind === undefined) {
    report({ segments: ['kind'], target: 'parent', reason: `missing required field; expected one of ${KINDS.join(', ')}` });
  }
  if (typeof kind !== 'string' || !(KINDS as string[]).includes(kind)) {
    const suggestion = typeof kind === 'string' ? nearest(kind, KINDS) : undefined;
    const mean = suggestion ? `; did you mean "${suggestion}"?` : '';
    const reason =
      typeof kind === 'string'
        ? `unknown kind "${kind}"${mean} (valid kinds: ${KINDS.join(', ')})`
        : `expected one of ${KINDS.join(', ')}, got ${describeValue(kind)}`;
    report({ segments: ['kind'], target: 'value', reason, suggestion });
  }

  const checker = checkerFor(kind as Kind);
  if (!checker.Check(root)) {
    const errors = [...checker.Errors(root)];
    // TypeBox also type-checks the absent value of a missing field ("expected a
    // string, got nothing"); the missing-field error says it better.
    const missing = new Set(errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path));
    const problems = errors
      .filter((e) => e.type === ValueErrorType.ObjectRequiredProperty || !missing.has(e.path))
      .map((e) => ({ problem: explain(e, root, kind as Kind), late: e.type === ValueErrorType.ObjectRequiredProperty }));
    report(first(problems, doc, lines).problem);
  }

  const spec = root as Spec;
  const semantic = checkSpec(spec).map((problem) => ({ problem, late: false }));
  if (semantic.length > 0) report(first(semantic, doc, lines).problem);
  return spec;
}

/** Reads and parses a spec file; relative paths in it are relative to its directory. */
export async function loadSpecFile(path: string): Promise<{ spec: Spec; text: string; file: string; baseDir: string }> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? 'error'})`;
    throw new SpecError(why, { file: path });
  }
  const baseDir = dirname(file);
  const spec = parseSpec(text, { file: path, baseDir });
  return { spec, text, file, baseDir };
}

function first(
  items: { problem: Problem; late: boolean }[],
  doc: Document.Parsed,
  lines: LineCounter,
): { problem: Problem; position: Position } {
  const ranked = items.map((it) => ({ ...it, position: locate(doc, lines, it.problem.segments, it.problem.target) }));
  ranked.sort(
    (a, b) =>
      Number(a.late) - Number(b.late) ||
      a.position.offset - b.position.offset ||
      b.problem.segments.length - a.problem.segments.length,
  );
  return ranked[0]!;
}

function toSpecError(p: Problem, doc: Document.Parsed, lines: LineCounter, file: string | undefined): SpecError {
  const { line, column } = locate(doc, lines, p.segments, p.target);
  const field = p.segments.length > 0 ? fieldPath(p.segments) : undefined;
  return new SpecError(p.reason, { file, line, column, field, suggestion: p.suggestion });
}

/** yaml's messages, reworded where they speak of the library rather than the file. */
function syntaxReason(code: string, message: string, source: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a spec holds one document; remove the second "---" and what follows';
  if (code === 'DUPLICATE_KEY') {
    const key = /^["']?([^:\n"']+)/.exec(source)?.[1]?.trim();
    return key ? `key "${key}" appears twice in the same mapping` : 'a key appears twice in the same mapping';
  }
  return oneLine(message);
}

function oneLine(s: string): string {
  return s.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, '').trim();
}
