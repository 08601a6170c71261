/**
 * Activity through the gateway, kept in memory and written to the store in batches.
 *
 * A request is activity when it arrives; an open stream (any proxied response or
 * WebSocket still in flight) is activity for as long as it stays open, so a long
 * generation is never idle. Every `flushMs` the tracker hands the backend one batch:
 * deploymentId → the latest activity time (now, for deployments with open streams).
 * Key last-use times ride along in the same flush.
 */

export interface ActivityTracker {
  /** A request arrived for this deployment. */
  touch(deploymentId: string, now?: number): void;
  /** A stream opened; call the returned function once when it ends. */
  open(deploymentId: string): () => void;
  /** Open streams or activity not yet flushed: the idle monitor must not act on these. */
  isActive(deploymentId: string): boolean;
  activeIds(): Set<string>;
  /** Latest activity seen in memory (null when none since start). */
  lastActivity(deploymentId: string): number | null;
  openStreams(deploymentId?: string): number;
  /** A key was used (batched to KeyStore.touch). */
  keyUsed(keyId: string, now?: number): void;
  flush(): Promise<void>;
  /** Stops the timer and flushes what is left. */
  close(): Promise<void>;
}

export interface ActivityOptions {
  flushMs?: number;
  record: (batch: Map<string, number>) => Promise<void>;
  touchKey?: (id: string, at: number) => Promise<void>;
  onError?: (err: unknown) => void;
}

export function createActivityTracker(opts: ActivityOptions): ActivityTracker {
  const flushMs = opts.flushMs ?? 5000;
  const last = new Map<string, number>();
  const dirty = new Set<string>();
  const open = new Map<string, number>();
  const keyUses = new Map<string, number>();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const timer = setInterval(() => void tracker.flush(), flushMs);
  timer.unref();

  async function doFlush(): Promise<void> {
    const now = Date.now();
    const batch = new Map<string, number>();
    for (const id of dirty) batch.set(id, last.get(id)!);
    for (const [id, n] of open) if (n > 0) batch.set(id, now);
    dirty.clear();
    const keys = new Map(keyUses);
    keyUses.clear();
    try {
      if (batch.size > 0) await opts.record(batch);
    } catch (err) {
      // Keep the entries for the next flush rather than lose activity.
      for (const [id, at] of batch) {
        if (open.get(id)) continue;
        dirty.add(id);
        last.set(id, Math.max(last.get(id) ?? 0, at));
      }
      opts.onError?.(err);
    }
    if (opts.touchKey) {
      for (const [id, at] of keys) await opts.touchKey(id, at).catch((err) => opts.onError?.(err));
    }
  }

  const tracker: ActivityTracker = {
    touch(id, now = Date.now()) {
      last.set(id, now);
      dirty.add(id);
    },
    open(id) {
      open.set(id, (open.get(id) ?? 0) + 1);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const n = (open.get(id) ?? 1) - 1;
        if (n <= 0) open.delete(id);
        else open.set(id, n);
        // The end of a stream is activity too: idle time counts from here.
        tracker.touch(id);
      };
    },
    isActive: (id) => (open.get(id) ?? 0) > 0 || dirty.has(id),
    activeIds() {
      const s = new Set(dirty);
      for (const id of open.keys()) s.add(id);
      return s;
    },
    lastActivity(id) {
      if ((open.get(id) ?? 0) > 0) return Date.now();
      return last.get(id) ?? null;
    },
    openStreams(id) {
      if (id !== undefined) return open.get(id) ?? 0;
      let n = 0;
      for (const v of open.values()) n += v;
      return n;
    },
    keyUsed(id, now = Date.now()) {
      keyUses.set(id, now);
    },
    flush() {
      // One flush at a time: a flush asked for during another runs after it. doFlush never rejects.
      chain = chain.then(doFlush);
      return chain;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await tracker.flush();
    },
  };
  return tracker;
}
