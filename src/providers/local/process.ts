/**
 * Spawning and ending a local machine's process group.
 *
 * Shape of a machine on the host:
 *
 *   sh (wrapper, session + group leader, pid = pgid)      <- its pid is saved
 *    └─ sh -c "<workload script>"                           <- the workload, same group
 *        └─ grandchildren (servers, `sleep &`...)           <- same group unless they setsid
 *
 * The wrapper outlives the control plane (detached: its own session; unref'd), and
 * writes the workload's exit status into `<id>.exit` when it ends, so that a control plane
 * that was dead at the time still learns the exit code. It catches TERM/INT/HUP with a
 * no-op trap: a caught (not ignored) signal is reset to the default in its children, so
 * the workload still receives SIGTERM sent to the group, and the wrapper lives on to
 * record the status (128 + signal when the workload died of one).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransientError } from '../errors.js';
import { groupMembers, startTimeSync } from './proc-scan.js';

const WRAPPER = [
  "trap ':' TERM INT HUP",
  '/bin/sh -c "$1"',
  'code=$?',
  `printf '[aloft] exited with code %s\\n' "$code"`,
  `printf '%s\\n' "$code" > "$2.tmp" && mv -f "$2.tmp" "$2"`,
].join('\n');

/**
 * The part of the control plane's environment a workload inherits. A whitelist, because
 * the control plane's own environment holds secrets (cloud keys, database URL) that a
 * workload must never see; PATH, locale, CUDA/NVIDIA and proxy settings are kept so that
 * tools, GPUs and downloads work as they do for the user.
 */
const INHERITED =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|TERM|LD_LIBRARY_PATH|LC_\w+|XDG_\w+|CUDA_\w+|NVIDIA_\w+|OLLAMA_MODELS|HF_HOME|SSL_CERT_FILE|SSL_CERT_DIR|NODE_EXTRA_CA_CERTS|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy)$/;

export function inheritedEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && INHERITED.test(k)) out[k] = v;
  return out;
}

export interface SpawnRequest {
  script: string;
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  exitPath: string;
}

/** Starts the wrapper in its own session and process group; returns its pid (= pgid). */
export async function spawnGroup(req: SpawnRequest): Promise<{ pid: number; startTime: string | undefined }> {
  const fd = openSync(req.logPath, 'a', 0o600);
  try {
    writeSync(fd, `[aloft] starting at ${new Date().toISOString()}\n`);
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'aloft-wrapper', req.script, req.exitPath], {
      detached: true,
      cwd: req.cwd,
      env: req.env,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw err;
    }
    const startTime = startTimeSync(child.pid);
    child.on('error', () => {}); // late errors have nothing to tell: describe() reads the kernel
    child.unref();
    return { pid: child.pid, startTime };
  } finally {
    closeSync(fd);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function anyAlive(pgids: number[]): Promise<boolean> {
  for (const g of pgids) if ((await groupMembers(g)).length > 0) return true;
  return false;
}

async function waitGone(pgids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await anyAlive(pgids))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
  }
}

/**
 * SIGTERM to every process of the groups, SIGKILL to what is left after `graceMs`.
 * Resolves once no member lives (or throws if even SIGKILL did not end them in 10 s,
 * e.g. a process stuck in uninterruptible sleep).
 */
export async function killGroups(pgids: number[], graceMs: number): Promise<{ forced: boolean }> {
  const groups = [...new Set(pgids)].filter((g) => g > 1);
  if (groups.length === 0) return { forced: false };
  for (const g of groups) signalGroup(g, 'SIGTERM');
  if (await waitGone(groups, graceMs)) return { forced: false };
  for (const g of groups) signalGroup(g, 'SIGKILL');
  if (await waitGone(groups, 10_000)) return { forced: true };
  throw new TransientError(`process groups ${groups.join(', ')} survived SIGKILL for 10 s`);
}
