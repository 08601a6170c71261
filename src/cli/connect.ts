/**
 * Finds the running control plane (server.json in ALOFT_HOME) or starts one in the
 * background, as SkyPilot starts its local API server, and returns an API client.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { aloftHome, paths } from '../lib/paths.js';
import { pidAlive, readServerInfo } from '../server/server-info.js';
import { createClient, ApiClientError, type AloftClient } from '../sdk/client.js';
import { nodeTransport } from '../sdk/node-transport.js';
import { CliError, EXIT_USAGE } from './errors.js';

export async function connect(opts: { start?: boolean } = { start: true }): Promise<AloftClient> {
  const home = aloftHome();
  const p = paths(home);
  let info = readServerInfo(p.serverInfo);
  // A live server that answers slowly (a loaded machine) is waited for, never doubled:
  // only a missing server.json or a dead pid starts a new one.
  if (info && pidAlive(info.pid) && !(await healthy(info.apiUrl, 15_000))) {
    throw new CliError(`the control plane (pid ${info.pid}) does not answer at ${info.apiUrl}; see ${p.serverLog}`);
  }
  if (!info || !pidAlive(info.pid)) {
    if (opts.start === false) throw new CliError('the Aloft control plane is not running (start it with: aloft server)');
    info = await startBackground(home);
  }
  return createClient({ baseUrl: info.apiUrl, token: readFileSync(p.token, 'utf8').trim(), transport: nodeTransport });
}

/** Polls /healthz until it answers ok or `withinMs` passes. */
async function healthy(url: string, withinMs = 2000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const ok = await nodeTransport({ method: 'GET', url: `${url}/healthz`, headers: {}, timeoutMs: Math.max(500, deadline - Date.now()) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startBackground(home: string) {
  const p = paths(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const bin = fileURLToPath(new URL('../../bin/aloft.js', import.meta.url));
  const out = openSync(p.serverLog, 'a');
  const child = spawn(process.execPath, [bin, 'server'], { detached: true, stdio: ['ignore', out, out], env: process.env });
  child.unref();
  process.stderr.write(`Starting the Aloft control plane in the background (log: ${p.serverLog})\n`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const info = readServerInfo(p.serverInfo);
    if (info && info.pid === child.pid && (await healthy(info.apiUrl))) return info;
    if (child.exitCode !== null || !pidAlive(child.pid!)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = readFileSync(p.serverLog, 'utf8').trim().split('\n').slice(-1)[0] ?? '';
  throw new CliError(`the control plane did not start (see ${p.serverLog})${tail ? `: ${tail.slice(0, 200)}` : ''}`);
}

/** Maps API errors to the CLI's exit codes: 4xx is bad input (2), the rest runtime (1). */
export function fromApiError(err: unknown): never {
  if (err instanceof ApiClientError) {
    const usage = err.status >= 400 && err.status < 500 && err.code !== 'unauthorized';
    throw new CliError(err.message, usage ? EXIT_USAGE : 1);
  }
  throw err;
}
