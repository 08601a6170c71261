/**
 * Which deployment a request is for, and the path to forward:
 *  - `/d/<name>/<path>` on any host → `/<path>` (query kept);
 *  - Host `<name>.<domain>` (when a domain is configured) → the path as is.
 * Names follow the spec's pattern (lowercase letters, digits, dashes).
 */

export interface Route {
  name: string;
  /** Path and query to send upstream; always starts with `/`. */
  path: string;
}

const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

export function parseRoute(url: string, host: string | undefined, domain: string | null): Route | null {
  if (domain && host) {
    const h = stripPort(host).toLowerCase();
    const suffix = '.' + domain;
    if (h.length > suffix.length && h.endsWith(suffix)) {
      const name = h.slice(0, h.length - suffix.length);
      if (NAME.test(name)) return { name, path: url.startsWith('/') ? url : '/' + url };
    }
  }
  if (!url.startsWith('/d/')) return null;
  const rest = url.slice(3);
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */) {
      end = i;
      break;
    }
  }
  const name = rest.slice(0, end);
  if (!NAME.test(name)) return null;
  const tail = rest.slice(end);
  const path = tail === '' ? '/' : tail[0] === '?' ? '/' + tail : tail;
  return { name, path };
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const i = host.lastIndexOf(':');
  return i === -1 ? host : host.slice(0, i);
}

/** Joins the upstream base URL's path with the forwarded path. */
export function upstreamPath(base: URL, path: string): string {
  const prefix = base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '');
  return prefix + path;
}

const bases = new Map<string, URL>();
/** The machine's base URL, parsed once (the hot path would otherwise parse it per request). */
export function parsedBase(url: string): URL {
  let u = bases.get(url);
  if (!u) {
    if (bases.size > 10_000) bases.clear();
    u = new URL(url);
    bases.set(url, u);
  }
  return u;
}
