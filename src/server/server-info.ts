/**
 * server.json in the data directory says where the running control plane listens, so the
 * CLI finds it (and starts one in the background when none runs, as SkyPilot does).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export interface ServerInfo {
  pid: number;
  apiUrl: string;
  gatewayUrl: string | null;
  startedAt: number;
  version: string;
}

export function readServerInfo(file: string): ServerInfo | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
  } catch {
    return null;
  }
}

export function writeServerInfo(file: string, info: ServerInfo): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}

export function removeServerInfo(file: string, pid: number): void {
  const info = readServerInfo(file);
  if (info?.pid === pid) rmSync(file, { force: true });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
