/**
 * What a local machine runs, per spec kind, as one POSIX shell script:
 *  - service: the spec's command, as is.
 *  - app: best effort. Clone the repository into `src/` of the working directory (once;
 *    a restart keeps the checkout), check out `ref`, run `build` once (a marker file
 *    `.aloft-built` remembers that it succeeded), then the command inside `src/`.
 *    Needs git on PATH; private repositories need the user's own git credentials.
 *  - ollama: `ollama serve` on 127.0.0.1:<port>, wait until it answers, `ollama pull`
 *    the model, then wait on the server. Refused when ollama is not installed.
 *  - devbox: refused; an SSH box belongs on a cloud provider.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Spec } from '../../spec/schema.js';
import { InvalidRequestError } from '../errors.js';

export interface Workload {
  script: string;
  /** Environment the kind itself needs (OLLAMA_HOST...); it wins over spec and request env. */
  env: Record<string, string>;
}

/** Single-quotes a value for /bin/sh. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Whether an executable `name` is on `pathVar` (a PATH string). */
export function onPath(name: string, pathVar: string | undefined): boolean {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

export const OLLAMA_MISSING =
  'ollama is not installed on this machine: install it from https://ollama.com/download (curl -fsSL https://ollama.com/install.sh | sh), or run this spec on a cloud provider';

function appScript(repository: string, ref: string | undefined, build: string | undefined, command: string): string {
  const lines = [
    'set -e',
    'if [ ! -d src/.git ]; then',
    '  rm -rf src.partial',
    `  echo "[aloft] cloning ${repository.replace(/["$`\\]/g, '')}"`,
    `  git clone --quiet ${shq(repository)} src.partial`,
  ];
  if (ref) lines.push(`  git -C src.partial checkout --quiet ${shq(ref)}`);
  lines.push('  mv src.partial src', 'fi', 'cd src');
  if (build) {
    lines.push(
      'if [ ! -f ../.aloft-built ]; then',
      '  echo "[aloft] building"',
      `  /bin/sh -c ${shq(build)}`,
      '  touch ../.aloft-built',
      'fi',
    );
  }
  lines.push('set +e', `exec /bin/sh -c ${shq(command)}`);
  return lines.join('\n');
}

function ollamaScript(model: string): string {
  // `ollama list` answers once the server listens on OLLAMA_HOST.
  return [
    'ollama serve &',
    'srv=$!',
    'i=0',
    'until ollama list >/dev/null 2>&1; do',
    '  if ! kill -0 "$srv" 2>/dev/null; then wait "$srv"; echo "[aloft] ollama serve ended before it answered"; exit 1; fi',
    '  i=$((i + 1))',
    '  if [ "$i" -gt 600 ]; then echo "[aloft] ollama serve did not answer in 5 minutes"; kill "$srv"; exit 1; fi',
    '  sleep 0.5',
    'done',
    `echo "[aloft] pulling ${model.replace(/["$`\\]/g, '')}"`,
    `if ! ollama pull ${shq(model)}; then echo "[aloft] ollama pull failed"; kill "$srv"; wait "$srv"; exit 1; fi`,
    'echo "[aloft] ready"',
    'wait "$srv"',
  ].join('\n');
}

/**
 * The script and environment for a spec. `pathVar` is the PATH the workload will get,
 * so that "is ollama installed" is answered for the workload, not for the control plane.
 */
export function workloadFor(spec: Spec, port: number, pathVar: string | undefined): Workload {
  switch (spec.kind) {
    case 'service':
      return { script: spec.command, env: {} };
    case 'app':
      return { script: appScript(spec.repository, spec.ref, spec.build, spec.command), env: {} };
    case 'ollama': {
      if (!onPath('ollama', pathVar)) throw new InvalidRequestError(OLLAMA_MISSING);
      const env: Record<string, string> = { OLLAMA_HOST: `127.0.0.1:${port}` };
      if (spec.context) env.OLLAMA_CONTEXT_LENGTH = String(spec.context);
      return { script: ollamaScript(spec.model), env };
    }
    case 'devbox':
      throw new InvalidRequestError('devbox is not supported by the local provider: run this spec on a cloud provider');
    default: {
      const kind = (spec as { kind?: unknown }).kind;
      throw new InvalidRequestError(`the local provider cannot run kind ${String(kind)}`);
    }
  }
}
