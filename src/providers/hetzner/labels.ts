/**
 * Aloft's tags as Hetzner labels, label selectors and resource names.
 *
 * Hetzner label values are at most 63 characters of [A-Za-z0-9._-], starting and
 * ending alphanumeric (or empty). Aloft's values usually fit; one that does not is
 * rewritten deterministically, so the same deployment id always gives the same
 * selector.
 */
import { createHash } from 'node:crypto';
import { TAG_DEPLOYMENT, TAG_MANAGED } from '../types.js';
import type { Labels } from './wire.js';

export const LABEL_IDEMPOTENCY = 'aloft-idempotency';
/** Which server a firewall belongs to, so a second `destroy` can still find it. */
export const LABEL_SERVER = 'aloft-server';
/** The workload port, so `describe` can rebuild the endpoint. */
export const LABEL_PORT = 'aloft-port';
/** Volumes labelled `aloft-keep=true` survive `destroy`. */
export const LABEL_KEEP = 'aloft-keep';

const VALUE_OK = /^(|[a-z0-9A-Z]|[a-z0-9A-Z][a-z0-9A-Z._-]{0,61}[a-z0-9A-Z])$/;
const KEY_OK = /^([a-z0-9A-Z]([a-z0-9A-Z.-]{0,251}[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([a-z0-9A-Z._-]{0,61}[a-z0-9A-Z])?$/;

export function shortHash(s: string, n = 12): string {
  return createHash('sha256').update(s).digest('hex').slice(0, n);
}

export function labelValue(v: string): string {
  if (VALUE_OK.test(v)) return v;
  let s = v.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  // A rewritten value carries a hash of the original so two different ids never collide.
  s = `${s.slice(0, 50).replace(/[^A-Za-z0-9]+$/, '')}-${shortHash(v, 8)}`.replace(/^-/, '');
  return s;
}

function labelKey(k: string): string | undefined {
  return KEY_OK.test(k) ? k : undefined;
}

/** Tags → labels; keys Hetzner would reject are dropped (Aloft's own keys always fit). */
export function toLabels(tags: Record<string, string>): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(tags)) {
    const key = labelKey(k);
    if (key) out[key] = labelValue(v);
  }
  return out;
}

export function deploymentSelector(deploymentId?: string): string {
  const parts = [`${TAG_MANAGED}=true`];
  if (deploymentId !== undefined) parts.push(`${TAG_DEPLOYMENT}=${labelValue(deploymentId)}`);
  return parts.join(',');
}

export function idempotencyLabel(key: string): string {
  return shortHash(`aloft:${key}`, 32);
}

/**
 * A server name: a valid hostname, unique per deployment (Hetzner names are unique
 * per project, and two deployments may share a human name).
 */
export function resourceName(name: string, deploymentId: string, suffix = ''): string {
  const base = name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '') || 'aloft';
  const id = shortHash(deploymentId, 8);
  return `${base.slice(0, 40)}-${id}${suffix}`;
}
