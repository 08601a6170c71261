/** status, events and logs: read commands. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('status')
    .description('list deployments')
    .argument('[name]', 'one deployment')
    .option('--json', 'machine-readable output')
    .option('-a, --all', 'include destroyed deployments')
    .action(async (name: string | undefined, o: { json?: boolean; all?: boolean }) => {
      const { connect, fromApiError } = await import('../connect.js');
      const { printJson, printTable, formatDuration } = await import('../output.js');
      const client = await connect();
      try {
        if (o.json && !name && !process.stdout.isTTY) {
          // Piped: the API's compact JSON array goes through untouched (no parse, no re-print).
          return void process.stdout.write((await client.listText(o.all)) + '\n');
        }
        const rows = name ? [await client.get(name)] : await client.list(o.all);
        if (o.json) return printJson(rows);
        if (rows.length === 0) return void process.stdout.write('No deployments. Create one with: aloft up <spec.yaml>\n');
        const now = Date.now();
        printTable(rows, {
          name: (r) => r.name,
          kind: (r) => r.kind,
          provider: (r) => r.provider,
          region: (r) => r.region,
          status: (r) => (r.status === 'failed' && r.status_reason ? `failed (${r.status_reason.slice(0, 60)})` : r.status),
          endpoint: (r) => r.url ?? r.endpoint,
          age: (r) => formatDuration(now - Date.parse(r.created_at)),
        });
      } catch (err) {
        fromApiError(err);
      }
    });

  program
    .command('events')
    .description("show a deployment's timeline: transitions, steps, agent stages (with the bootstrap log of a failed one)")
    .argument('<name>')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: { json?: boolean }) => {
      const { connect, fromApiError } = await import('../connect.js');
      const { printJson } = await import('../output.js');
      const client = await connect();
      try {
        const events = [];
        // The API answers in pages; read them all.
        for (let page = await client.events(name); page.length > 0; page = await client.events(name, page[page.length - 1]!.id)) events.push(...page);
        if (o.json) return printJson(events);
        for (const e of events) {
          const what = e.type === 'status' ? `${e.from_status ?? '-'} → ${e.to_status}` : e.type;
          process.stdout.write(`${e.at}  ${what}${e.message ? `  ${e.message}` : ''}\n`);
          const tail = (e.data as { log_tail?: string } | null)?.log_tail;
          if (tail) for (const line of tail.trimEnd().split('\n')) process.stdout.write(`    | ${line}\n`);
        }
      } catch (err) {
        fromApiError(err);
      }
    });

  program
    .command('logs')
    .description("show a deployment's output")
    .argument('<name>')
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --tail <lines>', 'lines from the end', '100')
    .action(async (name: string, o: { follow?: boolean; tail: string }) => {
      const { connect, fromApiError } = await import('../connect.js');
      const { usageError } = await import('../errors.js');
      const tail = Number(o.tail);
      if (!Number.isInteger(tail) || tail < 0) throw usageError(`--tail takes a whole number, not ${o.tail}`);
      const client = await connect();
      try {
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        const res = await client.stream(`/v1/deployments/${encodeURIComponent(name)}/logs?tail=${tail}&follow=${!!o.follow}`, abort.signal);
        const reader = res.body!.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            process.stdout.write(value);
          }
        } catch (err) {
          if (!abort.signal.aborted) throw err;
        }
      } catch (err) {
        fromApiError(err);
      }
    });
}
