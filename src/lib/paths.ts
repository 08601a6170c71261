/** Where Aloft keeps its state: ALOFT_HOME (default ~/.aloft). */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function aloftHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ALOFT_HOME ?? join(homedir(), '.aloft'));
}

export const DEFAULT_API_PORT = 7070;
export const DEFAULT_GATEWAY_PORT = 7080;

export const paths = (home: string) => ({
  db: join(home, 'aloft.db'),
  serverInfo: join(home, 'server.json'),
  serverLog: join(home, 'server.log'),
  token: join(home, 'token'),
  masterKey: join(home, 'master.key'),
  config: join(home, 'config.yaml'),
});
