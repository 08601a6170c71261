/**
 * From a path in the parsed value back to the YAML text: which line and column
 * an error should point at. Unknown keys point at the key, bad values at the
 * value, missing fields at the mapping that lacks them.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type Target = 'key' | 'value' | 'parent';

export interface Position {
  line: number;
  column: number;
  /** Character offset, for ordering errors as they appear in the file. */
  offset: number;
}

interface Found {
  /** Deepest node reached, and the key node that led to it. */
  key?: Node;
  value?: Node | null;
  /** Key node of the enclosing mapping entry, or the enclosing node itself at the root. */
  parentAnchor?: Node;
  complete: boolean;
}

function keyText(k: unknown): string {
  return isScalar(k) ? String(k.value) : String(k);
}

function walk(doc: Document.Parsed, segments: readonly (string | number)[]): Found {
  let node: Node | null | undefined = doc.contents as Node | null;
  let key: Node | undefined;
  let parentAnchor: Node | undefined = node ?? undefined;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (i > 0) parentAnchor = key ?? node ?? parentAnchor;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) return { key, value: node, parentAnchor, complete: false };
      key = pair.key as Node;
      node = pair.value as Node | null;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (item === undefined) return { key, value: node, parentAnchor, complete: false };
      node = item;
    } else {
      return { key, value: node, parentAnchor, complete: false };
    }
  }
  return { key, value: node, parentAnchor, complete: true };
}

function startOf(n: Node | null | undefined): number | undefined {
  return n?.range?.[0];
}

/**
 * Where to point for `target` at `segments`. Falls back outward (value → key →
 * parent → start of document) so there is always a position.
 */
export function locate(
  doc: Document.Parsed,
  lines: LineCounter,
  segments: readonly (string | number)[],
  target: Target,
): Position {
  const f = walk(doc, segments);
  let offset: number | undefined;
  if (target === 'parent') {
    // The missing field's mapping: point at the key that opens it, or at the root mapping.
    const parent = walk(doc, segments.slice(0, -1));
    offset = segments.length > 1 ? (startOf(parent.key) ?? startOf(parent.value)) : startOf(doc.contents as Node | null);
  } else if (f.complete) {
    const valueStart = startOf(f.value);
    // An empty value (`resources:` with nothing after it) has no useful range of its own.
    const emptyValue = f.value == null || (isScalar(f.value) && f.value.value === null && f.value.source === '');
    offset = target === 'key' || emptyValue ? (startOf(f.key) ?? valueStart) : (valueStart ?? startOf(f.key));
  } else {
    offset = startOf(f.key) ?? startOf(f.value);
  }
  offset ??= startOf(doc.contents as Node | null) ?? 0;
  const { line, col } = lines.linePos(offset);
  return { line, column: col, offset };
}
