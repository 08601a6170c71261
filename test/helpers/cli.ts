/**
 * Runs the real `aloft` command (bin/aloft.js over the compiled dist/) as a child process
 * in a throw-away ALOFT_HOME. After the test: the background server is stopped, every
 * machine of that home is killed, and the home is removed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { randomBytes } from 'node:crypto';
import { scanManaged } from '../../src/providers/local/proc-scan.js';
import { homeId } from '../../src/providers/local/state-file.js';
import { dropSchema } from '../../src/store/db.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'aloft.js');

/**
 * The compiled CLI must be current. scripts/run-tests.mjs builds dist/ once before any test
 * runs and says so in ALOFT_TEST_BUILT: test files run two at a time, and a build in one
 * rewrites dist/ under a CLI the other is starting (it once loaded a half-written module).
 * A test file run on its own builds here, once per process.
 */
let built = process.env.ALOFT_TEST_BUILT === '1';
export function ensureBuilt(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
  built = true;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  home: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  /** Starts `aloft server` in the foreground as a child we can SIGKILL. */
  startServer(env?: NodeJS.ProcessEnv): ReturnType<typeof spawn>;
  writeSpec(name: string, text: string): string;
  /** Distinct process groups (machines) of this home, optionally of one deployment. */
  managedGroups(deploymentId?: string): Promise<number[]>;
}

export function sandbox(t: TestContext, opts: { postgres?: boolean } = {}): Sandbox {
  ensureBuilt();
  const home = mkdtempSync(join(tmpdir(), 'aloft-cli-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ALOFT_HOME: home,
    ALOFT_API_PORT: '0',
    ALOFT_GATEWAY_PORT: '0',
    ALOFT_POLL_MS: '100',
    ALOFT_LOOP_MS: '300',
    ALOFT_STOP_GRACE_MS: '3000',
    ALOFT_LOG_LEVEL: process.env.ALOFT_TEST_LOG_LEVEL ?? 'warn',
  };
  // No real cloud from a test: a developer's AWS credentials (or an instance role) would make
  // the sandboxed server load the AWS provider and its reconciler act on the real account.
  for (const k of Object.keys(env)) if (/^AWS_/.test(k)) delete env[k];
  Object.assign(env, {
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
  });
  let schema: string | undefined;
  if (opts.postgres) {
    schema = `cli_${randomBytes(5).toString('hex')}`;
    env.ALOFT_DATABASE_URL = process.env.ALOFT_TEST_DATABASE_URL;
    env.ALOFT_DATABASE_SCHEMA = schema;
  }
  const children: Array<ReturnType<typeof spawn>> = [];
  const run: Sandbox['run'] = (args, o = {}) =>
    new Promise((resolvePromise) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code: code ?? -1, stdout, stderr });
      });
    });
  t.after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await run(['server', 'stop']).catch(() => {});
    for (const p of await scanManaged(homeId(home))) {
      try {
        process.kill(-p.pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (!process.env.ALOFT_TEST_KEEP_HOME) rmSync(home, { recursive: true, force: true });
    if (schema) await dropSchema(process.env.ALOFT_TEST_DATABASE_URL!, schema);
  });
  return {
    home,
    env,
    run,
    startServer(extra = {}) {
      // Its output goes to the home's server.log, as a background server's does (for diagnosis).
      const out = openSync(join(home, 'server.log'), 'a');
      const child = spawn(process.execPath, [BIN, 'server'], { env: { ...env, ...extra }, stdio: ['ignore', out, out] });
      closeSync(out);
      children.push(child);
      return child;
    },
    writeSpec(name, text) {
      const file = join(home, name);
      writeFileSync(file, text);
      return file;
    },
    async managedGroups(deploymentId) {
      const procs = await scanManaged(homeId(home));
      return [...new Set(procs.filter((p) => !deploymentId || p.deploymentId === deploymentId).map((p) => p.pgid))];
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function serverInfo(home: string): { pid: number; apiUrl: string } | null {
  const f = join(home, 'server.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null;
}

/** A hello-style service spec on a free port (so tests never fight over 8080). */
export function helloSpec(name: string, extra = ''): string {
  return `kind: service
name: ${name}
workdir: ${join(ROOT, 'examples/hello')}
command: node server.js
health: /healthz
placement:
  providers: [local]
${extra}`;
}
