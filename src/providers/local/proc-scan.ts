/**
 * What the kernel says about our process groups, read from /proc (Linux).
 *
 * Why start times: a pid alone is not an identity. After a reboot or a long time the
 * wrapper's pid may belong to an unrelated process; field 22 of /proc/<pid>/stat (start
 * time in clock ticks since boot) tells them apart.
 *
 * Why the group check is safe once the leader is gone: Linux never hands out a pid that
 * is still in use as a process-group id, so while any member of group P lives, P cannot
 * have been reused. A leader that is alive with another start time is a reused pid: group
 * P is then not ours.
 *
 * Why the environment scan: every workload carries ALOFT_MANAGED, ALOFT_HOME_ID and
 * ALOFT_MACHINE (the "tags" of a local machine), so its processes are found even when the
 * state file is lost (an orphan) or a crash came between spawn and saving the pid.
 *
 * Elsewhere (macOS, BSD) there is no /proc: liveness falls back to kill(pid, 0) and the
 * scan finds nothing, so only state files are known.
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';

export const HAS_PROC = existsSync('/proc/self/stat');

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), T... */
  state: string;
  ppid: number;
  pgrp: number;
  startTime: string;
}

function parseStat(pid: number, text: string): ProcStat | undefined {
  // comm (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (rest.length < 20) return undefined;
  return { pid, state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]), startTime: rest[19]! };
}

export async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(pid, await fs.readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

const isGone = (s: ProcStat) => s.state === 'Z' || s.state === 'X';

/**
 * The start time to save beside a pid just spawned: read synchronously, before the event
 * loop can reap a child that exited at once (its zombie still has a /proc entry).
 * 'unknown' on Linux when even that failed (it then never matches: the environment scan
 * finds the group instead); undefined without /proc.
 */
export function startTimeSync(pid: number): string | undefined {
  if (!HAS_PROC) return undefined;
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'))?.startTime ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Epoch ms at which a process started, from its start time in clock ticks since boot. */
export async function startedAtMs(startTime: string): Promise<number | undefined> {
  try {
    const btime = /^btime (\d+)$/m.exec(await fs.readFile('/proc/stat', 'utf8'));
    // USER_HZ is 100 on every Linux that Node supports.
    return btime ? Number(btime[1]) * 1000 + Number(startTime) * 10 : undefined;
  } catch {
    return undefined;
  }
}

function signalZero(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type LeaderStatus = 'alive' | 'gone' | 'reused';

/** Whether the process we spawned as `pid` at `startTime` still runs. */
export async function leaderStatus(pid: number, startTime: string | undefined): Promise<LeaderStatus> {
  if (!HAS_PROC) return signalZero(pid) ? 'alive' : 'gone';
  const s = await readStat(pid);
  if (!s || isGone(s)) return 'gone';
  if (startTime !== undefined && s.startTime !== startTime) return 'reused';
  return 'alive';
}

async function allPids(): Promise<number[]> {
  const names = await fs.readdir('/proc').catch(() => [] as string[]);
  return names.filter((n) => /^\d+$/.test(n)).map(Number);
}

/** Live (non-zombie) members of process group `pgid`. */
export async function groupMembers(pgid: number): Promise<number[]> {
  if (!HAS_PROC) return signalZero(-pgid) ? [pgid] : [];
  const stats = await Promise.all((await allPids()).map(readStat));
  return stats.filter((s): s is ProcStat => !!s && s.pgrp === pgid && !isGone(s)).map((s) => s.pid);
}

export interface ManagedProc {
  pid: number;
  pgid: number;
  startTime: string;
  machineId: string;
  deploymentId: string;
  /** The PORT the workload was given, when it still has it. */
  port?: number;
}

async function readEnviron(pid: number): Promise<Map<string, string> | undefined> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(`/proc/${pid}/environ`);
  } catch {
    return undefined; // gone, or another user's process
  }
  const env = new Map<string, string>();
  for (const entry of buf.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0 && (entry.startsWith('ALOFT_') || entry.startsWith('PORT='))) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** Every live process carrying this home's Aloft variables, optionally for one machine. */
export async function scanManaged(homeIdValue: string, machineId?: string): Promise<ManagedProc[]> {
  if (!HAS_PROC) return [];
  const found = await Promise.all(
    (await allPids()).map(async (pid): Promise<ManagedProc | undefined> => {
      const env = await readEnviron(pid);
      if (!env || env.get('ALOFT_MANAGED') !== 'true' || env.get('ALOFT_HOME_ID') !== homeIdValue) return undefined;
      const id = env.get('ALOFT_MACHINE');
      if (!id || !/^lm-[a-z0-9]+$/.test(id) || (machineId && id !== machineId)) return undefined;
      const s = await readStat(pid);
      if (!s || isGone(s)) return undefined;
      const port = Number(env.get('PORT'));
      return {
        pid,
        pgid: s.pgrp,
        startTime: s.startTime,
        machineId: id,
        deploymentId: env.get('ALOFT_DEPLOYMENT') ?? '',
        port: Number.isInteger(port) && port > 0 ? port : undefined,
      };
    }),
  );
  return found.filter((p): p is ManagedProc => !!p);
}
