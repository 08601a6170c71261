/**
 * From state file + kernel facts to the contract's Machine.
 *
 * A machine is alive when its wrapper (the saved pid with the saved start time) lives, or
 * — the wrapper gone — when members of its process group or processes carrying its
 * ALOFT_MACHINE variable remain. States:
 *  - pending: the state file exists, nothing was spawned yet (a crash between intent and spawn);
 *  - running / stopping: alive, stop() not requested / requested;
 *  - stopped: nothing alive; stateReason 'stopped' (by stop()), 'exited with code N' (the
 *    wrapper's record), 'failed to start: ...', or 'exited (no exit code recorded)' when the
 *    whole group was killed from outside.
 */
import { TAG_DEPLOYMENT, TAG_MANAGED, aloftTags, type Machine, type MachineState } from '../types.js';
import { groupMembers, leaderStatus, startedAtMs, type ManagedProc } from './proc-scan.js';
import type { LocalState } from './state-file.js';

export const PROVIDER_NAME = 'local';

export interface Liveness {
  alive: boolean;
  /** Process groups holding the machine's processes (what stop() signals). */
  pgids: number[];
  pids: number[];
}

/** `scan` is the result of scanManaged() for this home (or this machine). */
export async function liveness(state: LocalState, scan: ManagedProc[]): Promise<Liveness> {
  const pgids = new Set<number>();
  const pids = new Set<number>();
  if (state.pid !== undefined) {
    const leader = await leaderStatus(state.pid, state.startTime);
    if (leader === 'alive') {
      pgids.add(state.pid);
      pids.add(state.pid);
    } else if (leader === 'gone') {
      // The pid is not reused while group members live (see proc-scan.ts): they are ours.
      const members = await groupMembers(state.pid);
      if (members.length > 0) pgids.add(state.pid);
      for (const m of members) pids.add(m);
    }
  }
  // Processes that left the group (setsid) or whose pid was never saved.
  for (const p of scan) {
    if (p.machineId !== state.id) continue;
    pgids.add(p.pgid);
    pids.add(p.pid);
  }
  return { alive: pids.size > 0, pgids: [...pgids], pids: [...pids] };
}

function stateOf(state: LocalState, live: Liveness): MachineState {
  if (live.alive) return state.stopRequested ? 'stopping' : 'running';
  if (state.spawnedAt === undefined && !state.spawnError && !state.stopRequested) return 'pending';
  return 'stopped';
}

function reasonOf(state: LocalState, live: Liveness, exitCode: number | undefined): string | undefined {
  if (live.alive) return undefined;
  if (state.spawnError) return `failed to start: ${state.spawnError}`;
  if (state.stopRequested) return 'stopped';
  if (state.spawnedAt === undefined) return undefined;
  return exitCode === undefined ? 'exited (no exit code recorded)' : `exited with code ${exitCode}`;
}

export function endpointFor(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export function toMachine(state: LocalState, live: Liveness, exitCode: number | undefined, logPath: string): Machine {
  return {
    provider: PROVIDER_NAME,
    id: state.id,
    region: 'local',
    instanceType: 'local',
    state: stateOf(state, live),
    stateReason: reasonOf(state, live, exitCode),
    privateIp: '127.0.0.1',
    endpoint: endpointFor(state.port),
    tags: { ...state.tags, ...aloftTags(state.deploymentId) },
    createdAt: state.createdAt,
    details: {
      kind: state.kind,
      port: state.port,
      pid: state.pid,
      pgids: live.pgids,
      pids: live.pids,
      cwd: state.cwd,
      logPath,
      ...(exitCode !== undefined && !live.alive ? { exitCode } : {}),
    },
  };
}

/** A machine known only from its processes: its state file is gone. */
export async function orphanMachine(id: string, procs: ManagedProc[]): Promise<Machine> {
  const first = procs[0]!;
  const port = procs.find((p) => p.port !== undefined)?.port;
  const started = await startedAtMs(procs.reduce((a, p) => (Number(p.startTime) < Number(a) ? p.startTime : a), first.startTime));
  return {
    provider: PROVIDER_NAME,
    id,
    region: 'local',
    instanceType: 'local',
    state: 'running',
    stateReason: 'orphan: its state file is gone',
    privateIp: '127.0.0.1',
    ...(port ? { endpoint: endpointFor(port) } : {}),
    tags: { [TAG_MANAGED]: 'true', [TAG_DEPLOYMENT]: first.deploymentId },
    createdAt: started ?? Date.now(),
    details: {
      orphan: true,
      port,
      pgids: [...new Set(procs.map((p) => p.pgid))],
      pids: procs.map((p) => p.pid),
    },
  };
}
