/**
 * The local provider: a machine is a supervised process group on this host, with its own
 * port, working directory, log file and environment (DESIGN.md, "The provider contract").
 *
 * Machines outlive the control plane: each runs in its own session under a small shell
 * wrapper (process.ts), and everything needed to find it again lives in
 * `<home>/local/machines/` (state-file.ts) and in the processes' own environment
 * (ALOFT_MANAGED, ALOFT_HOME_ID, ALOFT_DEPLOYMENT, ALOFT_MACHINE — the local "tags",
 * proc-scan.ts). A control plane SIGKILLed and restarted over the same home adopts them.
 *
 * Deviations from "every call returns promptly": stop() and destroy() return once the
 * process group is gone, which takes up to `graceMs` (default 10 s) when the workload
 * ignores SIGTERM, plus the moment SIGKILL takes.
 *
 * Calls on one machine are serialised within this process. Across processes, create is
 * safe (the state file is claimed with link()); concurrent start/stop from two control
 * planes over one home are not coordinated.
 */
import { promises as fs, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { InvalidRequestError, NotFoundError, TransientError } from '../errors.js';
import type { CheckResult, CreateOptions, CreateRequest, ListFilter, LogsCapable, Machine, MachineRef, Provider, StartStopCapable } from '../types.js';
import { hostFacts } from './host-facts.js';
import { readLogLines } from './logs.js';
import { PROVIDER_NAME, liveness, orphanMachine, toMachine } from './machine-view.js';
import { inheritedEnv, killGroups, spawnGroup } from './process.js';
import { scanManaged, startTimeSync, type ManagedProc } from './proc-scan.js';
import * as sf from './state-file.js';
import { workloadFor } from './workload.js';

export { findFreePort, isPortFree } from './ports.js';

export interface LocalProviderOptions {
  /** ALOFT_HOME: machine files go to `<home>/local/machines/`. */
  home: string;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 10 000 ms. */
  graceMs?: number;
}

export type LocalProvider = Provider & StartStopCapable & LogsCapable;

export function createLocalProvider(opts: LocalProviderOptions): LocalProvider {
  const dir = sf.machinesDir(opts.home);
  const hid = sf.homeId(opts.home);
  const graceMs = opts.graceMs ?? 10_000;
  const locks = new Map<string, Promise<unknown>>();

  /** Runs fn after every earlier call on the same machine has settled. */
  function withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    const tail = next.catch(() => {});
    locks.set(id, tail);
    void tail.then(() => locks.get(id) === tail && locks.delete(id));
    return next;
  }

  function pathsOf(id: string): sf.Paths {
    try {
      return sf.pathsFor(dir, id);
    } catch {
      throw new NotFoundError(`no local machine ${id}`);
    }
  }

  async function view(state: sf.LocalState, scan?: ManagedProc[]): Promise<Machine> {
    const p = pathsOf(state.id);
    const live = await liveness(state, scan ?? (await scanManaged(hid, state.id)));
    return toMachine(state, live, await sf.readExitCode(p.exit), p.log);
  }

  /** Spawns the saved workload, unless processes of this machine already run (adopted). */
  async function launch(state: sf.LocalState, p: sf.Paths): Promise<void> {
    const running = await scanManaged(hid, state.id);
    if (running.length > 0) {
      // A crash came between spawn and saving the pid: adopt, never spawn a second group.
      const leader = running.find((r) => r.pid === r.pgid) ?? running[0]!;
      Object.assign(state, { pid: leader.pgid, startTime: startTimeSync(leader.pgid), spawnedAt: Date.now() });
      await sf.writeState(p.state, state);
      return;
    }
    await fs.rm(p.exit, { force: true });
    try {
      const { pid, startTime } = await spawnGroup({
        script: state.command,
        cwd: state.cwd,
        env: { ...inheritedEnv(), ...state.env },
        logPath: p.log,
        exitPath: p.exit,
      });
      Object.assign(state, { pid, startTime, spawnedAt: Date.now(), stopRequested: false, spawnError: undefined });
      await sf.writeState(p.state, state);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      state.spawnError = err instanceof Error ? err.message : String(err);
      await sf.writeState(p.state, state);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new InvalidRequestError(`cannot start ${state.id} in ${state.cwd}: ${state.spawnError}`, { cause: err });
      }
      throw new TransientError(`cannot start ${state.id}: ${state.spawnError}`, { cause: err });
    }
  }

  function workdirFor(req: CreateRequest, p: sf.Paths): { cwd: string; ownDir: boolean } {
    if (req.workdir === undefined) return { cwd: p.ownDir, ownDir: true };
    let ok = false;
    try {
      ok = isAbsolute(req.workdir) && statSync(req.workdir).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) throw new InvalidRequestError(`working directory ${req.workdir} is not an absolute path to an existing directory`);
    return { cwd: req.workdir, ownDir: false };
  }

  async function newState(req: CreateRequest, key: string, id: string, p: sf.Paths): Promise<sf.LocalState> {
    if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) {
      throw new InvalidRequestError(`port ${req.port} is not a TCP port (1-65535)`);
    }
    const workload = workloadFor(req.spec, req.port, req.env?.PATH ?? process.env.PATH);
    const { cwd, ownDir } = workdirFor(req, p);
    if (ownDir) await fs.mkdir(cwd, { recursive: true, mode: 0o700 });
    const specEnv = 'env' in req.spec ? req.spec.env : undefined;
    return {
      version: 1,
      id,
      idempotencyKey: key,
      deploymentId: req.deploymentId,
      name: req.name,
      kind: req.spec.kind,
      command: workload.script,
      cwd,
      ownDir,
      env: {
        ...specEnv,
        ...req.env,
        ...workload.env,
        PORT: String(req.port),
        ALOFT_MANAGED: 'true',
        ALOFT_DEPLOYMENT: req.deploymentId,
        ALOFT_MACHINE: id,
        ALOFT_HOME_ID: hid,
      },
      port: req.port,
      tags: { ...req.tags },
      createdAt: Date.now(),
      stopRequested: false,
    };
  }

  async function stopLocked(id: string): Promise<sf.LocalState | undefined> {
    const p = pathsOf(id);
    const state = await sf.readState(p.state);
    const scan = await scanManaged(hid, id);
    if (!state) {
      await killGroups(scan.map((s) => s.pgid), graceMs);
      return undefined;
    }
    // Intent first: a group that ends from now on was stopped, not crashed.
    Object.assign(state, { stopRequested: true, stoppedAt: Date.now() });
    await sf.writeState(p.state, state);
    await killGroups((await liveness(state, scan)).pgids, graceMs);
    return state;
  }

  return {
    name: PROVIDER_NAME,

    async check(): Promise<CheckResult> {
      const f = await hostFacts();
      const gpus = f.gpus.length ? f.gpus.map((g) => `${g.name} (${Math.round(g.memoryMib / 1024)} GB)`).join(', ') : 'no GPU';
      return {
        ok: true,
        message: `local: ${f.cpus} CPUs, ${f.memoryGb} GB memory, ${gpus}, ollama ${f.ollama ? 'installed' : 'not installed'}`,
        quota: {
          cpus: f.cpus,
          memoryGb: f.memoryGb,
          freeMemoryGb: f.freeMemoryGb,
          gpus: f.gpus.length,
          ...(f.gpus.length ? { gpuNames: f.gpus.map((g) => g.name).join(', '), gpuMemoryMib: f.gpus[0]!.memoryMib } : {}),
          ollama: f.ollama ? 'installed' : 'missing',
        },
      };
    },

    async create(req: CreateRequest, { idempotencyKey }: CreateOptions): Promise<Machine> {
      const id = sf.machineIdFor(hid, idempotencyKey);
      const p = pathsOf(id);
      return withLock(id, async () => {
        let state = await sf.readState(p.state);
        if (!state) {
          const fresh = await newState(req, idempotencyKey, id, p);
          state = (await sf.writeStateIfAbsent(p.state, fresh)) ? fresh : await sf.readState(p.state);
          if (!state) throw new TransientError(`state file of ${id} vanished while it was being created`);
        }
        // Only a machine never spawned is launched here; one that ended stays as it is.
        if (state.spawnedAt === undefined && !state.spawnError && !state.stopRequested) await launch(state, p);
        return view(state);
      });
    },

    async describe(ref: MachineRef): Promise<Machine> {
      const p = pathsOf(ref.id);
      const state = await sf.readState(p.state);
      if (state) return view(state);
      const procs = await scanManaged(hid, ref.id);
      if (procs.length > 0) return orphanMachine(ref.id, procs);
      throw new NotFoundError(`no local machine ${ref.id}`);
    },

    async list(filter: ListFilter = {}): Promise<Machine[]> {
      const scan = await scanManaged(hid);
      const states = await sf.listStates(dir);
      const machines = await Promise.all(states.map((s) => view(s, scan)));
      const known = new Set(states.map((s) => s.id));
      const orphans = new Map<string, ManagedProc[]>();
      for (const proc of scan) {
        if (known.has(proc.machineId)) continue;
        orphans.set(proc.machineId, [...(orphans.get(proc.machineId) ?? []), proc]);
      }
      for (const [id, procs] of orphans) machines.push(await orphanMachine(id, procs));
      return machines.filter(
        (m) => m.state !== 'terminated' && (filter.deploymentId === undefined || m.tags['aloft-deployment'] === filter.deploymentId),
      );
    },

    async start(ref: MachineRef): Promise<void> {
      const p = pathsOf(ref.id);
      await withLock(ref.id, async () => {
        const state = await sf.readState(p.state);
        if (!state) throw new NotFoundError(`no local machine ${ref.id}`);
        const live = await liveness(state, await scanManaged(hid, ref.id));
        if (live.alive && !state.stopRequested) return;
        // Still ending after an interrupted stop: finish that, then start afresh.
        if (live.alive) await killGroups(live.pgids, graceMs);
        Object.assign(state, { stopRequested: false, spawnError: undefined, stoppedAt: undefined });
        await launch(state, p);
      });
    },

    async stop(ref: MachineRef): Promise<void> {
      const p = pathsOf(ref.id);
      await withLock(ref.id, async () => {
        if (!(await sf.readState(p.state)) && (await scanManaged(hid, ref.id)).length === 0) {
          throw new NotFoundError(`no local machine ${ref.id}`);
        }
        await stopLocked(ref.id);
      });
    },

    async destroy(ref: MachineRef): Promise<void> {
      let p: sf.Paths;
      try {
        p = pathsOf(ref.id);
      } catch {
        return; // not an id of ours: nothing to destroy
      }
      await withLock(ref.id, async () => {
        const state = await stopLocked(ref.id);
        await sf.removeMachineFiles(p, state);
      });
    },

    logs(ref: MachineRef, o: { tail?: number; follow?: boolean; signal?: AbortSignal } = {}): AsyncIterable<string> {
      const p = pathsOf(ref.id);
      return (async function* () {
        const known = (await sf.readState(p.state)) || (await fs.stat(p.log).catch(() => undefined));
        if (!known) throw new NotFoundError(`no local machine ${ref.id}`);
        yield* readLogLines(p.log, o);
      })();
    },
  };
}
