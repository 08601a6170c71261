/**
 * The crash test: the control plane is killed with SIGKILL at each provisioning step and
 * started again; every deployment converges to ready with exactly one process group and
 * no orphan. Runs on SQLite, and on PostgreSQL when ALOFT_TEST_DATABASE_URL is set.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { helloSpec, sandbox, serverInfo, waitFor } from './helpers/cli.js';

const POINTS = ['plan:after', 'prepare:after', 'create-machine:before', 'create-machine:after', 'wait-ready:before', 'wait-ready:after'];
const dialects = ['sqlite', ...(process.env.ALOFT_TEST_DATABASE_URL ? ['postgres'] : [])] as const;

for (const dialect of dialects) {
  describe(`crash recovery on ${dialect}`, { concurrency: 1 }, () => {
    test(`SIGKILL at each of ${POINTS.length} provisioning steps, then restart: ready, one process each, no orphan`, async (t) => {
      const sb = sandbox(t, { postgres: dialect === 'postgres' });
      const names: string[] = [];
      for (const point of POINTS) {
        const name = `c-${point.replace(/[^a-z]/g, '')}`.slice(0, 30);
        names.push(name);
        const server = sb.startServer({ ALOFT_CRASH_AT: point, ALOFT_CRASH_MARKER: join(sb.home, `crashed-${name}`) });
        const exited = new Promise<NodeJS.Signals | null>((r) => server.once('exit', (_c, sig) => r(sig)));
        await waitFor(async () => serverInfo(sb.home)?.pid === server.pid, 30_000, 'server up');
        const up = await sb.run(['up', sb.writeSpec(`${name}.yaml`, helloSpec(name)), '--yes', '--detach']);
        assert.equal(up.code, 0, up.stderr);
        const timeout = new Promise<string>((r) => setTimeout(() => r('no crash within 120 s'), 120_000).unref());
        assert.equal(await Promise.race([exited, timeout]), 'SIGKILL', `server crashed at ${point}`);
      }
      // One restart brings everything back: no crash this time (markers exist).
      const restarted = sb.startServer();
      await waitFor(async () => serverInfo(sb.home)?.pid === restarted.pid, 30_000, 'server restarted');
      const rows = await waitFor(
        async () => {
          const r = await sb.run(['status', '--json'], { timeoutMs: 10_000 });
          if (r.code !== 0) return null;
          const list = JSON.parse(r.stdout) as Array<{ id: string; name: string; status: string }>;
          return list.length === names.length && list.every((d) => d.status === 'ready') ? list : null;
        },
        90_000,
        'all deployments ready',
      );
      for (const d of rows) {
        assert.equal((await sb.managedGroups(d.id)).length, 1, `${d.name} has exactly one process group`);
      }
      const all = await sb.managedGroups();
      assert.equal(all.length, names.length, 'no orphan process groups');
      for (const n of names) assert.equal((await sb.run(['down', n, '--yes'])).code, 0);
      assert.equal((await sb.managedGroups()).length, 0);
    });
  });
}
