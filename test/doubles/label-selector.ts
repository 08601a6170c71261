/**
 * Hetzner's label selector language, for the double: comma-separated terms, each
 * `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)` or `k notin (a,b)`. A term that does
 * not parse throws, and the double answers invalid_input like the real API.
 */
export type Labels = Record<string, string>;
type Term = (labels: Labels) => boolean;

function splitTerms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim());
}

const KEY = '[A-Za-z0-9][A-Za-z0-9._/-]*';

function parseTerm(t: string): Term {
  let m: RegExpMatchArray | null;
  if ((m = t.match(new RegExp(`^(${KEY})\\s+(in|notin)\\s+\\(([^)]*)\\)$`)))) {
    const [, k, op, list] = m as unknown as [string, string, string, string];
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in' ? (l) => k in l && values.has(l[k]!) : (l) => !(k in l) || !values.has(l[k]!);
  }
  if ((m = t.match(new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*([A-Za-z0-9._-]*)$`)))) {
    const [, k, op, v] = m as unknown as [string, string, string, string];
    return op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v;
  }
  if ((m = t.match(new RegExp(`^!\\s*(${KEY})$`)))) {
    const k = m[1]!;
    return (l) => !(k in l);
  }
  if ((m = t.match(new RegExp(`^(${KEY})$`)))) {
    const k = m[1]!;
    return (l) => k in l;
  }
  throw new Error(`invalid label selector term: ${JSON.stringify(t)}`);
}

export function parseSelector(selector: string): (labels: Labels) => boolean {
  const terms = splitTerms(selector).filter((t) => t.length > 0).map(parseTerm);
  return (labels) => terms.every((term) => term(labels));
}
