/**
 * The EC2 Query wire format, both directions, for the EC2 double:
 *  - requests are form-encoded `Action=X&Version=2016-11-15&Filter.1.Name=...&Filter.1.Value.1=...`;
 *    `parseQuery` turns the dotted keys into nested objects and 1-based lists into arrays;
 *  - responses are XML in the 2016-11-15 namespace, lists as `<item>` elements;
 *  - errors are `<Response><Errors><Error><Code>…</Code><Message>…</Message></Error></Errors><RequestID>…`.
 */
import { randomUUID } from 'node:crypto';

export const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const EC2_VERSION = '2016-11-15';

export type QueryValue = string | QueryObject | QueryValue[];
export interface QueryObject {
  [key: string]: QueryValue;
}

/** `A.1.B=x` → `{ A: [{ B: 'x' }] }`. Index gaps are an error, as on EC2. */
export function parseQuery(body: string): QueryObject {
  const root: QueryObject = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split('.');
    let node: QueryObject | QueryValue[] = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1]!);
      const slot = Array.isArray(node) ? Number(part) - 1 : part;
      if (Array.isArray(node) && (!Number.isInteger(slot) || (slot as number) < 0)) throw new Error(`bad list index in ${key}`);
      const container = node as Record<string | number, QueryValue>;
      if (last) {
        container[slot] = value;
      } else {
        container[slot] ??= nextIsIndex ? [] : {};
        node = container[slot] as QueryObject | QueryValue[];
      }
    }
  }
  // Drop holes (`X.2` without `X.1`) the way EC2 ignores them.
  const compact = (v: QueryValue): QueryValue =>
    Array.isArray(v) ? v.filter((x) => x !== undefined).map(compact) : typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)])) : v;
  return compact(root) as QueryObject;
}

// ---- accessors that keep the action handlers short -------------------------------------

export const str = (o: QueryObject, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
export const num = (o: QueryObject, k: string): number | undefined => (typeof o[k] === 'string' ? Number(o[k]) : undefined);
export const bool = (o: QueryObject, k: string): boolean | undefined => (typeof o[k] === 'string' ? o[k] === 'true' : undefined);
export const obj = (o: QueryObject, k: string): QueryObject | undefined =>
  o[k] !== undefined && typeof o[k] === 'object' && !Array.isArray(o[k]) ? (o[k] as QueryObject) : undefined;
export function list(o: QueryObject, k: string): QueryValue[] {
  const v = o[k];
  return Array.isArray(v) ? v : [];
}
export const strList = (o: QueryObject, k: string): string[] => list(o, k).filter((x): x is string => typeof x === 'string');
export const objList = (o: QueryObject, k: string): QueryObject[] =>
  list(o, k).filter((x): x is QueryObject => typeof x === 'object' && !Array.isArray(x));

export interface Filter {
  name: string;
  values: string[];
}
export const filters = (o: QueryObject): Filter[] => objList(o, 'Filter').map((f) => ({ name: str(f, 'Name') ?? '', values: strList(f, 'Value') }));

/** EC2 filter values take `*` and `?` wildcards. */
export function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.') + '$');
  return re.test(value);
}

/** A resource matches when, for every filter, one of its values for that name matches one filter value. */
export function matchesFilters(fs: Filter[], field: (name: string) => string[] | undefined): boolean {
  return fs.every((f) => {
    const have = field(f.name);
    if (have === undefined) return false;
    return have.some((h) => f.values.some((p) => wildcard(p, h)));
  });
}

/** Tag filters every resource supports: `tag:<key>` and `tag-key`. */
export function tagField(tags: Record<string, string>, name: string): string[] | undefined {
  if (name.startsWith('tag:')) {
    const v = tags[name.slice(4)];
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return Object.keys(tags);
  if (name === 'tag-value') return Object.values(tags);
  return undefined;
}

// ---- XML out -----------------------------------------------------------------------------

export type XmlValue = string | number | boolean | null | undefined | XmlValue[] | { [k: string]: XmlValue };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function el(name: string, v: XmlValue): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return `<${name}>${v.map((x) => el('item', x)).join('')}</${name}>`;
  if (typeof v === 'object') return `<${name}>${children(v)}</${name}>`;
  return `<${name}>${esc(String(v))}</${name}>`;
}
const children = (o: { [k: string]: XmlValue }) => Object.entries(o).map(([k, x]) => el(k, x)).join('');

export function xmlResponse(action: string, body: { [k: string]: XmlValue }, requestId = randomUUID()): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}"><requestId>${requestId}</requestId>${children(body)}</${action}Response>`;
}

export function xmlError(code: string, message: string, requestId = randomUUID()): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

export const tagSet = (tags: Record<string, string>): XmlValue[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

/** An EC2 API error, with the HTTP status AWS uses for it. */
export class Ec2Fault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
