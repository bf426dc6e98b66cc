#!/usr/bin/env node
// The compiled CLI lives in dist/ (npm run build); this shim keeps the package's bin stable.
import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
