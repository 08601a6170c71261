/**
 * Ports on this host, for the engine: it allocates a free port for a new local machine
 * and refuses a spec whose port is already taken. A port is "free" when we can bind it
 * exclusively right now; by the time the workload binds it another process may have
 * taken it, which the engine sees as a machine that never becomes ready.
 */
import { createServer } from 'node:net';

/** Whether `port` can be bound on `host` now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel considers free on 127.0.0.1 (bound to 0, then released). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
