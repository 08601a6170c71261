/**
 * Everything the gateway decides before forwarding a request, the same for node:http
 * requests, WebSocket upgrades and the fast lane:
 *   route (404) → key (401) → deployment (404, or 403 for a scoped key) → scope (403)
 *   → rate limit (429) → activity → wake if stopped (held, a starting page, or 503).
 */
import type { ActivityTracker } from './activity.js';
import { checkKey, extractKey, keyAllows, type KeyHeaders } from './keys.js';
import type { RateLimiter } from './rate-limit.js';
import { startingPage, WWW_AUTHENTICATE } from './respond.js';
import { parseRoute } from './route.js';
import type { GatewayBackend, RouteTarget, StoredKey } from './types.js';
import { isWakeable, type WakeCoordinator } from './wake.js';

export interface AdmitRequest {
  url: string;
  host: string | undefined;
  /** The headers that may carry a key. */
  keyHeaders: KeyHeaders;
  /** A browser that may get the starting page instead of being held. */
  wantsHtml: boolean;
  /** Registers what to do when the client goes away (a held request stops waiting). */
  onClose(fn: () => void): void;
}

export type Admitted =
  | { ok: true; target: RouteTarget; path: string }
  | { ok: false; status: number; code: string; message: string; headers?: Record<string, string>; html?: string };

export interface AdmissionDeps {
  backend: GatewayBackend;
  domain: string | null;
  verifyKey: (presented: string, stored: Pick<StoredKey, 'hash'>) => boolean;
  limiter: RateLimiter | null;
  activity: ActivityTracker;
  wake: WakeCoordinator;
  /** Retry-After (s) on the starting page and on 503 while waking. */
  retryPage: number;
  retryTimeout: number;
}

export function createAdmission(deps: AdmissionDeps): (req: AdmitRequest) => Promise<Admitted> {
  const { backend, domain, limiter, activity, wake, retryPage, retryTimeout } = deps;
  const findKey = (prefix: string) => backend.keys.findByPrefix(prefix);

  return async function admit(req) {
    const route = parseRoute(req.url, req.host, domain);
    if (!route) return { ok: false, status: 404, code: 'not_found', message: 'No deployment here: use /d/<deployment>/…' };
    const check = await checkKey(extractKey(req.keyHeaders), findKey, Date.now(), deps.verifyKey);
    if (!check.ok) return { ok: false, status: 401, code: check.code, message: check.message, headers: WWW_AUTHENTICATE };
    let target = await backend.resolve(route.name);
    if (!target || target.status === 'destroyed') {
      // A scoped key learns nothing about other names.
      return check.key.deploymentId === null
        ? { ok: false, status: 404, code: 'deployment_not_found', message: `No deployment named ${route.name}` }
        : { ok: false, status: 403, code: 'forbidden', message: `This key does not open ${route.name}` };
    }
    if (!keyAllows(check.key, target.deploymentId)) {
      return { ok: false, status: 403, code: 'forbidden', message: `This key does not open ${route.name}` };
    }
    if (limiter) {
      const wait = limiter.take(check.key.id);
      if (wait > 0) return { ok: false, status: 429, code: 'rate_limited', message: 'Too many requests for this key', headers: { 'retry-after': String(wait) } };
    }
    activity.touch(target.deploymentId);
    activity.keyUsed(check.key.id);
    if (target.status !== 'ready' || !target.upstreamUrl) {
      if (target.status === 'failed') return { ok: false, status: 502, code: 'deployment_failed', message: `${route.name} has failed` };
      if (!isWakeable(target.status)) {
        return { ok: false, status: 503, code: 'unavailable', message: `${route.name} is ${target.status}`, headers: { 'retry-after': String(retryTimeout) } };
      }
      const needsStart = target.status === 'stopped' || target.status === 'stopping';
      if (needsStart && !target.wakeOnRequest) {
        return { ok: false, status: 503, code: 'stopped', message: `${route.name} is stopped; start it with: aloft start ${route.name}`, headers: { 'retry-after': String(retryTimeout) } };
      }
      if (req.wantsHtml) {
        wake.kick(target);
        return { ok: false, status: 503, code: 'starting', message: `${route.name} is starting`, headers: { 'retry-after': String(retryPage) }, html: startingPage(route.name, retryPage) };
      }
      // Only held requests pay for an AbortController (its DOMException is costly on the hot path).
      const ac = new AbortController();
      req.onClose(() => ac.abort());
      const r = await wake.wait(target, ac.signal);
      if (!r.ok) {
        if (r.reason === 'gone') return { ok: false, status: 404, code: 'deployment_not_found', message: r.message };
        return { ok: false, status: 503, code: r.reason === 'timeout' ? 'starting' : 'wake_failed', message: r.message, headers: { 'retry-after': String(retryTimeout) } };
      }
      target = r.target;
    }
    return { ok: true, target, path: route.path };
  };
}
