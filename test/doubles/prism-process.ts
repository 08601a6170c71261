/**
 * Runs `prism mock` on an OpenAPI document as a child process, for contract tests: a
 * request the real API would reject gets 422 and a `[VALIDATOR] ✖` line in prism's log.
 * Listens on a free 127.0.0.1 port; `stop()` kills the whole process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

export interface PrismProcess {
  url: string;
  /** Every line prism printed so far (ANSI colours removed). */
  lines(): string[];
  /** Lines of prism's request validation that report an error (from line `from` of lines()). */
  violations(from?: number): string[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const ANSI = /\u001b\[[0-9;]*m/g;

export async function startPrism(repoRoot: string, specPath: string, opts: { startTimeoutMs?: number } = {}): Promise<PrismProcess> {
  const port = await freePort();
  const bin = path.join(repoRoot, 'node_modules', '.bin', 'prism');
  const child: ChildProcess = spawn(process.execPath, [bin, 'mock', '-h', '127.0.0.1', '-p', String(port), specPath], {
    cwd: repoRoot,
    detached: true, // its own process group, so stop() takes any workers with it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  const out: string[] = [];
  let partial = '';
  const onData = (b: Buffer) => {
    const text = partial + b.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    out.push(...parts.map((l) => l.replace(ANSI, '')));
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const stop = async () => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 3000);
    await exitPromise;
    clearTimeout(killer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  while (!out.some((l) => l.includes('Prism is listening'))) {
    if (exited) throw new Error(`prism exited before listening:\n${out.slice(-20).join('\n')}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prism did not start in time:\n${out.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const startedAt = out.length;
  return {
    url: `http://127.0.0.1:${port}`,
    lines: () => out.slice(startedAt),
    violations: (from = 0) => out.slice(startedAt + from).filter((l) => /\[VALIDATOR\].*✖|✖.*(UNPROCESSABLE|NO_PATH_MATCHED|NO_METHOD_MATCHED|UNAUTHORIZED)/.test(l)),
    stop,
  };
}
