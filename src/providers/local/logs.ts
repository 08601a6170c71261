/**
 * Reading a machine's log file as lines: the last `tail` lines (read backwards from the
 * end, so a large log costs only what is shown), then, with `follow`, each new complete
 * line as it is appended, until the signal aborts. Following polls the file size every
 * `pollMs`: fs.watch misses appends on some filesystems, and a poll is cheap.
 * A log truncated or replaced under us (size shrinks) is read again from its start.
 */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const CHUNK = 64 * 1024;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await fs.stat(path)).size;
  } catch {
    return 0;
  }
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const fh = await fs.open(path, 'r').catch(() => undefined);
  if (!fh) return Buffer.alloc(0);
  try {
    const buf = Buffer.alloc(end - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Offset where the last `n` complete lines before `end` begin. */
async function tailStart(path: string, end: number, n: number): Promise<number> {
  if (n <= 0) return end;
  let pos = end;
  let newlines = 0;
  // The final byte is normally the last line's newline: it does not start a new line.
  let skipLast = true;
  while (pos > 0) {
    const start = Math.max(0, pos - CHUNK);
    const buf = await readRange(path, start, pos);
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) {
        skipLast = false;
        continue;
      }
      if (skipLast) {
        skipLast = false;
        continue;
      }
      if (++newlines === n) return start + i + 1;
    }
    pos = start;
  }
  return 0;
}

export interface ReadLogOptions {
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

export async function* readLogLines(path: string, opts: ReadLogOptions = {}): AsyncGenerator<string> {
  const { signal, follow = false, pollMs = 200 } = opts;
  let end = await sizeOf(path);
  let offset = opts.tail === undefined ? 0 : await tailStart(path, end, opts.tail);
  let pending = '';
  for (;;) {
    if (signal?.aborted) return;
    if (end < offset) {
      offset = 0; // truncated or replaced
      pending = '';
    }
    if (end > offset) {
      const text = pending + (await readRange(path, offset, end)).toString('utf8');
      offset = end;
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (signal?.aborted) return;
        yield line;
      }
    }
    if (!follow) {
      if (pending) yield pending;
      return;
    }
    try {
      await sleep(pollMs, undefined, { signal });
    } catch {
      return; // aborted
    }
    end = await sizeOf(path);
  }
}
