#!/usr/bin/env node
// The CLI is built into dist/ by `npm run build`: one bundle of the project's own modules (dist/bundle, fast to
// load), npm packages left to node_modules. This shim keeps the package's bin stable.
import('../dist/bundle/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
