/** Printing helpers shared by every command: JSON, aligned tables, durations. */

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** An aligned text table; `columns` maps header → cell getter. */
export function printTable<T>(rows: T[], columns: Record<string, (row: T) => unknown>): void {
  process.stdout.write(formatTable(rows, columns));
}

export function formatTable<T>(rows: T[], columns: Record<string, (row: T) => unknown>): string {
  const headers = Object.keys(columns);
  const cells = rows.map((r) => headers.map((h) => cellText(columns[h]!(r))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (parts: string[]) => parts.map((p, i) => p.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  return line(headers.map((h) => h.toUpperCase())) + cells.map(line).join('');
}

function cellText(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  return String(v);
}

/** 1.2s, 3m05s, 2h10m — for elapsed times and ages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function formatUsd(usd: number): string {
  return usd < 10 ? `$${usd.toFixed(4).replace(/0{1,2}$/, '')}` : `$${usd.toFixed(2)}`;
}
