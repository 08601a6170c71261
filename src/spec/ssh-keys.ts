/**
 * ssh_keys entries of a devbox: an OpenSSH public key written inline, or the
 * path of a `.pub` file. A private key — pasted, or named by its file — is
 * refused without ever being echoed back.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';

const KEY_TYPES =
  '(?:ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com)';
const PUBLIC_KEY = new RegExp(`^${KEY_TYPES}\\s+[A-Za-z0-9+/]+={0,3}(?:\\s.*)?$`);
const PATH = /^(?:~|\.{1,2})?\//;

export type SshKeyEntry = { type: 'key'; key: string } | { type: 'path'; path: string } | { type: 'invalid'; reason: string };

/** What an ssh_keys entry is. Reasons never contain the entry when it may be a secret. */
export function classifySshKey(entry: string): SshKeyEntry {
  const s = entry.trim();
  if (/PRIVATE KEY/.test(s)) {
    return { type: 'invalid', reason: 'this is a private key; list the public key (the .pub file) instead' };
  }
  if (PUBLIC_KEY.test(s)) return { type: 'key', key: s };
  if (PATH.test(s) || s.endsWith('.pub')) {
    if (!s.endsWith('.pub')) {
      return { type: 'invalid', reason: `"${s}" is not a .pub file (a private key?); use "${s}.pub"` };
    }
    return { type: 'path', path: s };
  }
  return {
    type: 'invalid',
    reason: 'expected an OpenSSH public key ("ssh-ed25519 AAAA... you@host") or the path of a .pub file ("~/.ssh/id_ed25519.pub")',
  };
}

/** `~/x` → $HOME/x; relative paths against baseDir. */
export function expandPath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return resolve(baseDir, p);
}

/**
 * The public keys themselves: inline keys as written, .pub files read (every
 * key line in them). Throws with the file name when a file is missing or holds
 * something other than public keys.
 */
export async function loadSshPublicKeys(entries: readonly string[], baseDir: string): Promise<string[]> {
  const keys: string[] = [];
  for (const entry of entries) {
    const c = classifySshKey(entry);
    if (c.type === 'invalid') throw new Error(`ssh key: ${c.reason}`);
    if (c.type === 'key') {
      keys.push(c.key);
      continue;
    }
    const file = expandPath(c.path, baseDir);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`ssh key file ${c.path}: ${code === 'ENOENT' ? 'not found' : `cannot read (${code ?? 'error'})`}`);
    }
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.length === 0) throw new Error(`ssh key file ${c.path}: empty`);
    for (const line of lines) {
      if (!PUBLIC_KEY.test(line)) throw new Error(`ssh key file ${c.path}: not an OpenSSH public key`);
      keys.push(line);
    }
  }
  return keys;
}
