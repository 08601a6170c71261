/**
 * SpecError: what is wrong with a spec, and where. Its message is one line that
 * an editor or terminal can jump to:
 *
 *   examples/x.yaml:7:3: resources.gpus: unknown key "gpus"; did you mean "gpu"?
 *
 * The CLI prints `message` and exits 2; the API returns the fields as JSON.
 */

export interface SpecErrorLocation {
  /** The file as the user named it; undefined for text that came from no file. */
  file?: string;
  /** 1-based; undefined only when the file could not be read at all. */
  line?: number;
  column?: number;
  /** Dotted path of the offending field (`resources.gpu`, `placement.providers[1]`); undefined for document-level errors. */
  field?: string;
  /** The nearest valid key or value, when there is one. */
  suggestion?: string;
}

export class SpecError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly suggestion?: string;
  /** The message without the location prefix. */
  readonly reason: string;

  constructor(reason: string, where: SpecErrorLocation = {}) {
    super(formatSpecError(reason, where));
    this.name = 'SpecError';
    this.reason = reason;
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.field = where.field;
    this.suggestion = where.suggestion;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: 'invalid_spec',
      message: this.message,
      file: this.file,
      line: this.line,
      column: this.column,
      field: this.field,
      suggestion: this.suggestion,
    };
  }
}

function formatSpecError(reason: string, w: SpecErrorLocation): string {
  const file = w.file ?? '<spec>';
  const at = w.line === undefined ? file : `${file}:${w.line}:${w.column ?? 1}`;
  return `${at}: ${w.field ? `${w.field}: ` : ''}${reason}`;
}

/** Path segments → `resources.gpu`, `placement.providers[0]`, `env["MY.VAR"]`. */
export function fieldPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}
