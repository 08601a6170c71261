/**
 * A throwaway self-signed certificate, in memory, and the TLS options that trust exactly
 * that certificate. The control plane issues one per cloud deployment: the key travels to
 * the machine inside its user-data (the key proxy serves it), the public certificate stays
 * on the deployment, and the health probe and the gateway pin it.
 *
 * Node's crypto has no X.509 writer, so generation runs `openssl`, here in a private
 * temporary directory that is removed at once.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

/**
 * Writes an ECDSA P-256 key and a self-signed certificate for it to the two files, with
 * `openssl req -x509`; `altNames` (`DNS:…`, `IP:…`) become its subjectAltName. The one
 * openssl call of the project: this module's per-deployment pairs and the gateway's own.
 */
export async function writeSelfSigned(files: { keyFile: string; certFile: string }, o: { commonName: string; days: number; altNames?: string[] }): Promise<void> {
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', files.keyFile, '-out', files.certFile, '-days', String(o.days), '-subj', `/CN=${o.commonName}`,
      ...(o.altNames?.length ? ['-addext', `subjectAltName=${o.altNames.join(',')}`] : []),
    ], { timeout: 30_000 });
  } catch (err) {
    throw new Error(`could not generate a self-signed certificate with openssl: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** An ECDSA P-256 key and a self-signed certificate for it (CN only; the peer pins it, so no SAN is needed). */
export async function generateSelfSigned(commonName: string, days = 3650): Promise<CertificatePair> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(commonName)) throw new Error(`certificate name "${commonName}" must be 1-64 letters, digits, _ . or -`);
  const dir = await mkdtemp(join(tmpdir(), 'aloft-cert-'));
  try {
    const files = { keyFile: join(dir, 'key.pem'), certFile: join(dir, 'cert.pem') };
    await writeSelfSigned(files, { commonName, days });
    const [certPem, keyPem] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
    return { certPem, keyPem };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * TLS client options that trust `certPem` and nothing else: it is the only CA, and the
 * host name check is skipped because the peer is reached by an IP the certificate does
 * not name. A peer with any other certificate fails the handshake.
 */
export function pinnedTls(certPem: string): { ca: string; checkServerIdentity: () => undefined } {
  return { ca: certPem, checkServerIdentity: () => undefined };
}

/** http://host:port → https://host:port (cloud machines answer only through their TLS key proxy). */
export function httpsEndpoint(endpoint: string): string;
export function httpsEndpoint(endpoint: string | null | undefined): string | null;
export function httpsEndpoint(endpoint: string | null | undefined): string | null {
  if (!endpoint) return null;
  return endpoint.startsWith('http://') ? `https://${endpoint.slice('http://'.length)}` : endpoint;
}
