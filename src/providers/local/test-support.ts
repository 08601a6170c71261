/**
 * Helpers for the local provider's tests (not a test file itself): a throw-away home whose
 * machines are destroyed after the test, a tiny HTTP server to run as a workload, polling.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CreateRequest } from '../types.js';
import { createLocalProvider, type LocalProvider } from './index.js';
import { findFreePort } from './ports.js';
import { readStat, scanManaged } from './proc-scan.js';
import { homeId } from './state-file.js';
import { shq } from './workload.js';

export const NODE = shq(process.execPath);

/** A server answering `ok <machine id>`; `ignoreTerm` makes it survive SIGTERM. */
export function writeServer(dir: string, opts: { ignoreTerm?: boolean } = {}): string {
  const path = join(dir, opts.ignoreTerm ? 'stubborn-server.cjs' : 'server.cjs');
  writeFileSync(
    path,
    [
      opts.ignoreTerm ? "process.on('SIGTERM', () => console.log('ignoring SIGTERM'));" : '',
      "require('http').createServer((req, res) => res.end('ok ' + process.env.ALOFT_MACHINE))",
      "  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));",
    ].join('\n'),
  );
  return path;
}

export interface Home {
  home: string;
  provider: LocalProvider;
  server: string;
}

/** A temporary ALOFT_HOME; after the test every machine in it is destroyed and it is removed. */
export function tempHome(t: TestContext, graceMs = 2000): Home {
  const home = mkdtempSync(join(tmpdir(), 'aloft-local-'));
  const provider = createLocalProvider({ home, graceMs });
  t.after(async () => {
    const p = createLocalProvider({ home, graceMs: 200 });
    for (const m of await p.list()) await p.destroy(m).catch(() => {});
    for (const proc of await scanManaged(homeId(home))) {
      try {
        process.kill(-proc.pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(home, { recursive: true, force: true });
  });
  return { home, provider, server: writeServer(home) };
}

export async function serviceRequest(command: string, extra: Partial<CreateRequest> = {}): Promise<CreateRequest> {
  return {
    deploymentId: 'dep-1',
    name: 'web',
    spec: { kind: 'service', name: 'web', command },
    offer: { provider: 'local', region: 'local', instanceType: 'local' },
    port: extra.port ?? (await findFreePort()),
    tags: {},
    ...extra,
  };
}

/** Polls `fn` until it returns a truthy value; fails after `timeoutMs` with the last error. */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(50);
  }
}

export async function get(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
  return res.text();
}

/** Alive and not a zombie (an unreaped zombie has ended for every purpose here). */
export async function pidAlive(pid: number): Promise<boolean> {
  const s = await readStat(pid);
  return !!s && s.state !== 'Z' && s.state !== 'X';
}
