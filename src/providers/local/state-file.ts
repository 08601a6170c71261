/**
 * The local provider's durable state: one JSON file per machine under
 * `<home>/local/machines/<id>.json`, beside its log (`<id>.log`), its exit-code file
 * (`<id>.exit`, written by the supervising wrapper) and, when Aloft chose the working
 * directory, its own folder (`<id>.d/`).
 *
 * The file is the machine's intent: it is written before anything is spawned, so a
 * control plane killed half-way finds it again and never spawns a second process group.
 * Writes are atomic (temp file + rename); the first write uses link(), which fails when the
 * file exists, so two creators racing on one idempotency key end up with one machine.
 * Files are 0600 in a 0700 folder: the saved environment may hold the workload's secrets.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface LocalState {
  version: 1;
  id: string;
  idempotencyKey: string;
  deploymentId: string;
  name: string;
  kind: string;
  /** The shell script the wrapper runs (spec command, app build, ollama serve...). */
  command: string;
  cwd: string;
  /** True when `cwd` is `<id>.d`, created by Aloft and removed on destroy. */
  ownDir: boolean;
  /** The workload's own environment (request env + Aloft's variables); inherited vars are not saved. */
  env: Record<string, string>;
  port: number;
  tags: Record<string, string>;
  createdAt: number;
  /** Leader of the process group (the wrapper); the group id equals it. */
  pid?: number;
  /** Field 22 of /proc/<pid>/stat, so that a reused pid is never taken for ours. */
  startTime?: string;
  spawnedAt?: number;
  /** Set by stop() before it signals: the group ending is then "stopped", not "exited". */
  stopRequested: boolean;
  stoppedAt?: number;
  spawnError?: string;
}

export interface Paths {
  dir: string;
  state: string;
  log: string;
  exit: string;
  ownDir: string;
}

/** The folder of machine files, created on first use. */
export function machinesDir(home: string): string {
  const dir = join(resolve(home), 'local', 'machines');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A short stable id of this Aloft home, put into every workload's environment. */
export function homeId(home: string): string {
  const dir = machinesDir(home);
  return createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 16);
}

export function pathsFor(dir: string, id: string): Paths {
  if (!/^lm-[a-z0-9]+$/.test(id)) throw new Error(`not a local machine id: ${id}`);
  return {
    dir,
    state: join(dir, `${id}.json`),
    log: join(dir, `${id}.log`),
    exit: join(dir, `${id}.exit`),
    ownDir: join(dir, `${id}.d`),
  };
}

/**
 * The machine id for an idempotency key. Derived from the key and the home id, so that
 * concurrent or repeated creates with one key address the same state file.
 */
export function machineIdFor(homeIdValue: string, idempotencyKey: string): string {
  return 'lm-' + createHash('sha256').update(`${homeIdValue}\0${idempotencyKey}`).digest('hex').slice(0, 12);
}

export async function readState(path: string): Promise<LocalState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as LocalState;
}

async function writeTemp(path: string, state: LocalState): Promise<string> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(state, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Replaces the state file atomically. */
export async function writeState(path: string, state: LocalState): Promise<void> {
  const tmp = await writeTemp(path, state);
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Writes the state file only if none exists; returns false when another one was there first. */
export async function writeStateIfAbsent(path: string, state: LocalState): Promise<boolean> {
  const tmp = await writeTemp(path, state);
  try {
    await fs.link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export async function listStates(dir: string): Promise<LocalState[]> {
  const names = (await fs.readdir(dir)).filter((n) => /^lm-[a-z0-9]+\.json$/.test(n)).sort();
  const states: LocalState[] = [];
  for (const name of names) {
    const s = await readState(join(dir, name)).catch(() => undefined);
    if (s) states.push(s);
  }
  return states;
}

/** The exit code the wrapper recorded, if the workload has ended since its last start. */
export async function readExitCode(path: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await fs.readFile(path, 'utf8')).trim(), 10);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Removes everything the machine left in the home. The user's own workdir is never touched. */
export async function removeMachineFiles(p: Paths, state: LocalState | undefined): Promise<void> {
  await fs.rm(p.exit, { force: true });
  await fs.rm(p.log, { force: true });
  if (!state || state.ownDir) await fs.rm(p.ownDir, { recursive: true, force: true });
  // The state file goes last: while it exists, a crashed destroy can be retried.
  await fs.rm(p.state, { force: true });
}
