/**
 * A stand-in for a cloud machine's key proxy, on 127.0.0.1 (where the doubles put every
 * machine): it speaks HTTPS with the certificate and key the control plane issued, read
 * from the machine's user-data as the real machine would. Until a pair is known, a
 * connection is dropped (the machine is still booting). Each new connection is served
 * with the pair current at that moment.
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface TlsPair {
  certPem: string;
  keyPem: string;
}

export interface TlsStandIn {
  port: number;
  https: Server;
  close(): Promise<void>;
}

export async function startTlsStandIn(pairOf: () => TlsPair | undefined, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TlsStandIn> {
  const https = createHttpsServer({}, handler);
  let current = '';
  const tcp = createTcpServer((socket) => {
    const pair = pairOf();
    if (!pair) return void socket.destroy();
    if (pair.certPem !== current) {
      https.setSecureContext({ key: pair.keyPem, cert: pair.certPem });
      current = pair.certPem;
    }
    https.emit('connection', socket);
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  return {
    port: (tcp.address() as AddressInfo).port,
    https,
    async close() {
      https.closeAllConnections();
      await new Promise((r) => tcp.close(r));
    },
  };
}

/** The certificate and key in a user-data (plain, base64, or base64 of gzip), however indented or commented. */
export function pairInUserData(text: string | undefined | null): TlsPair | undefined {
  if (!text) return undefined;
  let plain = text;
  if (!plain.includes('-----BEGIN')) {
    const bytes = Buffer.from(text, 'base64');
    plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  }
  const block = (kind: string) => {
    const m = new RegExp(`-----BEGIN ${kind}-----[\\s\\S]*?-----END ${kind}-----`).exec(plain);
    return m ? m[0].split('\n').map((l) => l.replace(/^[\s#]+/, '')).join('\n') + '\n' : undefined;
  };
  const certPem = block('CERTIFICATE');
  const keyPem = block('PRIVATE KEY');
  return certPem && keyPem ? { certPem, keyPem } : undefined;
}

/** For fake renderUserData hooks: the issued pair as cloud-config comments, where pairInUserData finds it. */
export function tlsComment(tls: TlsPair | undefined): string {
  if (!tls) return '';
  return `${tls.certPem.trim()}\n${tls.keyPem.trim()}\n`.split('\n').filter(Boolean).map((l) => `# ${l}`).join('\n') + '\n';
}
