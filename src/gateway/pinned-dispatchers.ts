/**
 * One undici Agent per pinned upstream certificate. A cloud machine's key proxy presents
 * the certificate the control plane issued to it (RouteTarget.upstreamCaPem); its Agent
 * trusts that certificate and nothing else, and skips the host name check (the machine is
 * reached by IP). Local upstreams (no certificate) share the plain Agent: one property
 * check on the hot path, nothing more.
 */
import { Agent } from 'undici';
import { pinnedTls } from '../lib/self-signed.js';
import type { RouteTarget } from './types.js';

export interface UpstreamDispatchers {
  for(target: RouteTarget): Agent;
  close(): Promise<void>;
}

export function createUpstreamDispatchers(options: Agent.Options, maxPinned = 1000): UpstreamDispatchers {
  const plain = new Agent(options);
  // Keyed by the PEM itself; insertion order doubles as age for eviction.
  const pinned = new Map<string, Agent>();

  function pinnedFor(pem: string): Agent {
    let a = pinned.get(pem);
    if (a) return a;
    if (pinned.size >= maxPinned) {
      // A deployment long gone: its Agent finishes what it has in flight, then closes.
      const [oldest, agent] = pinned.entries().next().value as [string, Agent];
      pinned.delete(oldest);
      void agent.close().catch(() => agent.destroy());
    }
    a = new Agent({ ...options, connect: { ...(options.connect as object), ...pinnedTls(pem) } });
    pinned.set(pem, a);
    return a;
  }

  return {
    for: (target) => (target.upstreamCaPem === undefined ? plain : pinnedFor(target.upstreamCaPem)),
    async close() {
      const all = [plain, ...pinned.values()];
      pinned.clear();
      await Promise.all(all.map((a) => a.close().catch(() => a.destroy())));
    },
  };
}
