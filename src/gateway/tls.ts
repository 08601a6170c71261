/**
 * TLS for the gateway: a certificate and key given as files, or a self-signed pair
 * generated once into the data directory (`<dataDir>/gateway-tls/{cert,key}.pem`) and
 * reused on later starts (lib/self-signed.ts runs `openssl`, present on every
 * Debian/Ubuntu/macOS host): an ECDSA P-256 key, a certificate valid 825 days for
 * localhost, 127.0.0.1, ::1 and the extra names given.
 */
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSelfSigned } from '../lib/self-signed.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Where they came from, for the log. */
  certFile: string;
  selfSigned: boolean;
}

export type TlsConfig = TlsFiles | { selfSigned: true; dir: string; hostnames?: string[] };

export async function loadTls(config: TlsConfig): Promise<TlsMaterial> {
  if ('certFile' in config) {
    const [cert, key] = await Promise.all([readFile(config.certFile), readFile(config.keyFile)]);
    return { cert, key, certFile: config.certFile, selfSigned: false };
  }
  const { certFile, keyFile } = await ensureSelfSigned(config.dir, config.hostnames ?? []);
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  return { cert, key, certFile, selfSigned: true };
}

export async function ensureSelfSigned(dir: string, hostnames: string[]): Promise<TlsFiles> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if ((await exists(certFile)) && (await exists(keyFile))) return { certFile, keyFile };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', ...hostnames.map((h) => (isIp(h) ? `IP:${h}` : `DNS:${h}`))];
  await writeSelfSigned({ keyFile, certFile }, { commonName: 'aloft-gateway', days: 825, altNames: [...new Set(names)] });
  await chmod(keyFile, 0o600);
  return { certFile, keyFile };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function isIp(h: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(h) || h.includes(':');
}
