/** Shell and file-format quoting used by every block. */

/** Single-quotes a value for POSIX sh. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `KEY='value'` lines, safe to `.` (source) from sh. */
export function shellEnvFile(vars: Record<string, string | number>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${shq(String(v))}`)
    .join('\n') + '\n';
}

/**
 * `KEY=value` lines read by both `docker run --env-file` and systemd's EnvironmentFile.
 * Neither format can hold a newline, so such values are refused at render time.
 */
export function plainEnvFile(vars: Record<string, string>): string {
  for (const [k, v] of Object.entries(vars)) {
    if (/[\r\n]/.test(v)) throw new Error(`environment variable ${k} contains a newline, which an env file cannot hold`);
  }
  return Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n') + (Object.keys(vars).length ? '\n' : '');
}

/** Strips the common indentation of a template literal and trims its first and last blank lines. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\n[ \t]*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n') + '\n';
}
