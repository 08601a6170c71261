#!/usr/bin/env node
// The published entry point: runs the compiled CLI (built by `npm ci` through the
// `prepare` script). Compiled JavaScript keeps `aloft --version` close to bare node.
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`aloft: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
