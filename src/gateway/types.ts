/**
 * The gateway's contract with the rest of Aloft. The gateway (the only door to a
 * deployment, DESIGN.md "Reaching a deployment") knows nothing about the store or the
 * engine: the server binds these small interfaces to them.
 *
 * Glossary:
 *  - RouteTarget: what the gateway needs to forward a request for one deployment name.
 *  - upstream secret: a per-deployment secret the gateway adds to every forwarded request;
 *    the machine's on-host proxy checks it. The client's own key never reaches the machine.
 *  - activity: a request or an open stream through the gateway; it keeps a deployment
 *    from being idle. Recorded in memory and flushed to the backend in batches.
 *  - wake: asking the engine to start a stopped deployment because a request arrived.
 */

import type { DeploymentStatus } from '../store/types.js';
export type { DeploymentStatus };

export interface RouteTarget {
  deploymentId: string;
  name: string;
  status: DeploymentStatus;
  /** Base URL of the machine (e.g. http://127.0.0.1:41234); null until it is known. */
  upstreamUrl: string | null;
  /** Sent to the machine in the upstream secret header; null sends none. */
  upstreamSecret: string | null;
  /**
   * The header that carries upstreamSecret for this target; default: the gateway's
   * configured one (X-Aloft-Upstream-Secret, what local machines check). Cloud machines'
   * key proxies check `authorization` with the value `Basic …` (bootstrap's
   * upstreamAuthHeader). The client's own headers of that name never reach the machine.
   */
  upstreamSecretHeader?: string;
  /**
   * PEM of the one certificate the machine may present (an https upstreamUrl: a cloud
   * machine's key proxy). The gateway trusts exactly it and skips the host name check
   * (the machine is reached by IP); absent: plain http, or the system's CAs for https.
   */
  upstreamCaPem?: string;
  wakeOnRequest: boolean;
  wakeTimeoutMs: number;
}

/** One row of `api_keys` as the gateway needs it. Times are epoch ms. */
export interface StoredKey {
  id: string;
  /** Short public prefix (the characters right after `aloft_`), unique. */
  prefix: string;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  /** null: the key opens every deployment. */
  deploymentId: string | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface KeyStore {
  findByPrefix(prefix: string): Promise<StoredKey | null>;
  /** Records last use; the gateway calls it in batches, never per request. */
  touch?(id: string, at: number): Promise<void>;
}

export interface GatewayBackend {
  /** Looks a deployment up by name; null when there is none (or it is destroyed). Hot path: keep it cheap. */
  resolve(name: string): Promise<RouteTarget | null>;
  /** Asks the engine to start a stopped deployment. Idempotent. */
  requestWake(deploymentId: string): Promise<void>;
  /** deploymentId → epoch ms of the latest activity; called every flush interval. */
  recordActivity(batch: Map<string, number>): Promise<void>;
  keys: KeyStore;
}
