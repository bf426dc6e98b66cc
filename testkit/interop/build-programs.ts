/**
 * `node dist/testkit/interop/build-programs.js`: builds the interop programs the default suite runs
 * (go-build.ts DEFAULT_SUITE_PROGRAMS) into their cache outside the clone, as an install step: .ci/run calls it
 * before the suite, as it installs the az and Python SDK virtual environments, so that the suite's time is the
 * tests' own. A warm cache builds nothing; the tests build anything missing themselves.
 */
import { DEFAULT_SUITE_PROGRAMS, goBinary } from './go-build.js';

for (const program of DEFAULT_SUITE_PROGRAMS) {
  const started = Date.now();
  const path = await goBinary(program);
  process.stdout.write(`${program.name}: ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
