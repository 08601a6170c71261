/**
 * What this host offers a local machine: CPUs, memory, NVIDIA GPUs (from nvidia-smi when
 * present) and whether ollama is installed. Used by check(); never fails: a missing or
 * broken nvidia-smi simply means no GPU.
 */
import { execFile } from 'node:child_process';
import { cpus, totalmem, freemem } from 'node:os';
import { onPath } from './workload.js';

export interface HostGpu {
  name: string;
  memoryMib: number;
}

export interface HostFacts {
  cpus: number;
  memoryGb: number;
  freeMemoryGb: number;
  gpus: HostGpu[];
  ollama: boolean;
}

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader` ("NVIDIA L4, 23034 MiB"). */
export function parseNvidiaSmi(out: string): HostGpu[] {
  const gpus: HostGpu[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(.+?),\s*(\d+)\s*MiB\s*$/i.exec(line);
    if (m) gpus.push({ name: m[1]!, memoryMib: Number(m[2]) });
  }
  return gpus;
}

function nvidiaSmi(): Promise<HostGpu[]> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=name,memory.total', '--format=csv,noheader'],
      { timeout: 5000 },
      (err, stdout) => resolve(err ? [] : parseNvidiaSmi(stdout)),
    );
  });
}

const gb = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;

export async function hostFacts(pathVar = process.env.PATH): Promise<HostFacts> {
  return {
    cpus: cpus().length,
    memoryGb: gb(totalmem()),
    freeMemoryGb: gb(freemem()),
    gpus: onPath('nvidia-smi', pathVar) ? await nvidiaSmi() : [],
    ollama: onPath('ollama', pathVar),
  };
}
