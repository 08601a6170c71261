/** `aloft server` (foreground) and `aloft server stop` (the background one). */
import type { Command } from 'commander';

export function register(program: Command, version: string): void {
  const server = program
    .command('server')
    .description('run the control plane in the foreground (API on 127.0.0.1:7070 by default)')
    .option('--host <host>', 'API listen address (ALOFT_API_HOST)')
    .option('--port <port>', 'API port (ALOFT_API_PORT, default 7070)')
    .action(async (o: { host?: string; port?: string }) => {
      const { runServer } = await import('../../server/run.js');
      const port = o.port === undefined ? undefined : Number(o.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        const { usageError } = await import('../errors.js');
        throw usageError(`--port takes a port number, not ${o.port}`);
      }
      const s = await runServer({ host: o.host, port, version });
      process.stderr.write(`Aloft control plane listening on ${s.apiUrl}\n`);
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
