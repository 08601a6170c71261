/** `aloft server` (foreground) and `aloft server stop` (the background one). */
import type { Command } from 'commander';

export function register(program: Command, version: string): void {
  const server = program
    .command('server')
    .description('run the control plane in the foreground (API on 127.0.0.1:7070 by default)')
    .option('--host <host>', 'API listen address (ALOFT_API_HOST)')
    .option('--port <port>', 'API port (ALOFT_API_PORT, default 7070)')
    .option('--gateway-host <host>', 'gateway listen address (ALOFT_GATEWAY_HOST, default 127.0.0.1)')
    .option('--gateway-port <port>', 'gateway port (ALOFT_GATEWAY_PORT, default 7080)')
    .option('--gateway-domain <domain>', 'also route Host <deployment>.<domain> (ALOFT_GATEWAY_DOMAIN)')
    .option('--tls-cert <file>', 'gateway TLS certificate, PEM (ALOFT_GATEWAY_TLS_CERT)')
    .option('--tls-key <file>', 'gateway TLS private key, PEM (ALOFT_GATEWAY_TLS_KEY)')
    .option('--tls-self-signed', 'gateway TLS with a generated self-signed certificate (ALOFT_GATEWAY_TLS=self-signed)')
    .action(async (o: { host?: string; port?: string; gatewayHost?: string; gatewayPort?: string; gatewayDomain?: string; tlsCert?: string; tlsKey?: string; tlsSelfSigned?: boolean }) => {
      const { runServer } = await import('../../server/run.js');
      const { usageError } = await import('../errors.js');
      const portOf = (v: string | undefined, flag: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError(`${flag} takes a port number, not ${v}`);
        return n;
      };
      const port = portOf(o.port, '--port');
      const gatewayPort = portOf(o.gatewayPort, '--gateway-port');
      if (!!o.tlsCert !== !!o.tlsKey) throw usageError('--tls-cert and --tls-key go together');
      const s = await runServer({
        host: o.host,
        port,
        version,
        gateway: { host: o.gatewayHost, port: gatewayPort, domain: o.gatewayDomain, tlsCert: o.tlsCert, tlsKey: o.tlsKey, selfSigned: o.tlsSelfSigned },
      });
      process.stderr.write(`Aloft control plane listening on ${s.apiUrl}; gateway on ${s.gatewayUrl}\n`);
      const shutdown = () => void s.close().then(() => process.exit(0));
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });

  server
    .command('stop')
    .description('stop the background control plane (machines keep running)')
    .action(async () => {
      const { aloftHome, paths } = await import('../../lib/paths.js');
      const { readServerInfo, pidAlive } = await import('../../server/server-info.js');
      const info = readServerInfo(paths(aloftHome()).serverInfo);
      if (!info || !pidAlive(info.pid)) return void process.stdout.write('The control plane is not running.\n');
      process.kill(info.pid, 'SIGTERM');
      const deadline = Date.now() + 20_000;
      while (pidAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (pidAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
      process.stdout.write(`Stopped the control plane (pid ${info.pid}).\n`);
    });
}
