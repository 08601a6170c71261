/**
 * Console output as lines. EC2's GetConsoleOutput returns the latest ~64 KB of the serial
 * console, not a stream: following means polling and printing only what is new. When the
 * buffer has rolled over (the old text is no longer a prefix), the new text is matched
 * against the tail of what was already printed.
 */

export interface ConsoleOptions {
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
  pollMs: number;
}

const split = (text: string) => text.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1);

/** The part of `next` that `prev` had not shown yet. */
export function newText(prev: string, next: string): string {
  if (next.startsWith(prev)) return next.slice(prev.length);
  // Rolled over: find the longest suffix of prev that starts next.
  for (let n = Math.min(prev.length, next.length); n > 0; n--) {
    if (next.startsWith(prev.slice(prev.length - n))) return next.slice(n);
  }
  return next;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

export async function* consoleLines(read: () => Promise<string>, o: ConsoleOptions): AsyncIterable<string> {
  let shown = await read();
  const first = split(shown);
  yield* o.tail !== undefined ? first.slice(Math.max(0, first.length - o.tail)) : first;
  while (o.follow && !o.signal?.aborted) {
    await sleep(o.pollMs, o.signal);
    if (o.signal?.aborted) return;
    const next = await read();
    const fresh = newText(shown, next);
    shown = next;
    yield* split(fresh);
  }
}
